import shutil

import lxml.etree
import xmlsec


def test_lxml_and_xmlsec_link_the_same_libxml2():
    # Mismatched libxml2 builds make SAML signature checks fail at run time.
    assert lxml.etree.LIBXML_VERSION == xmlsec.get_libxml_version()


def test_python3_saml_imports_with_these_bindings():
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    assert OneLogin_Saml2_Utils.generate_unique_id().startswith("ONELOGIN_")


def test_xmlsec1_program_is_installed():
    # pysaml2-style tooling and the SAML lab identity provider shell out to xmlsec1.
    assert shutil.which("xmlsec1"), "install Debian's xmlsec1 (.ci/run does)"
