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


def test_crcmod_has_its_c_extension():
    # Without it crcmod silently falls back to pure Python, and the CRC64NVME S3 computes
    # for every upload would take minutes for a 200 MiB object.
    import crcmod._crcfunext  # noqa: F401
    from s3.payload import CHECKSUM_ALGORITHMS

    crc = CHECKSUM_ALGORITHMS["CRC64NVME"]()
    crc.update(b"123456789")
    assert crc.digest().hex() == "ae8b14860a799888"  # CRC-64/NVME's published check value
