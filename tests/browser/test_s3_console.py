"""The S3 console in a real browser: create a bucket, upload a file through the real
multipart upload form, see it listed, open it and download it."""

import pytest

from tests.browser.test_signin import expect, path_is, sign_in_as_root


@pytest.mark.browser
def test_create_bucket_upload_a_file_and_see_it_listed(page, alice_account, tmp_path):
    page.goto("/s3/buckets")
    sign_in_as_root(page)
    expect(page).to_have_url(path_is("/s3/buckets"))
    expect(page.get_by_role("heading", name="General purpose buckets")).to_be_visible()

    page.get_by_role("link", name="Create bucket").click()
    page.get_by_label("AWS Region").select_option("eu-west-1")
    page.get_by_label("Bucket name", exact=True).fill("browser-lab-bucket")
    page.get_by_role("button", name="Create bucket").click()
    expect(page.get_by_text('Successfully created bucket "browser-lab-bucket"')).to_be_visible()
    expect(page.get_by_test_id("buckets-table")).to_contain_text("Europe (Ireland) eu-west-1")

    page.get_by_role("link", name="browser-lab-bucket").click()
    expect(page.get_by_test_id("objects-table")).to_contain_text("No objects")
    page.get_by_role("link", name="Upload").click()
    source = tmp_path / "hello world.txt"
    source.write_bytes(b"Hello from the browser\n" * 1000)
    page.get_by_label("Add files").set_input_files(str(source))
    # s3.js lists the chosen file before it is sent.
    expect(page.locator("[data-upload-list]")).to_contain_text("hello world.txt")
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="Upload: status")).to_be_visible()
    expect(page.get_by_text("Upload succeeded. View details below.")).to_be_visible()
    expect(page.get_by_test_id("upload-succeeded")).to_have_text("1 file, 22.5 KB")
    page.get_by_role("link", name="Close").click()

    table = page.get_by_test_id("objects-table")
    expect(table).to_contain_text("hello world.txt")
    expect(table).to_contain_text("22.5 KB")
    expect(table).to_contain_text("Standard")

    page.get_by_role("link", name="hello world.txt").click()
    expect(page.get_by_test_id("object-s3-uri")).to_have_text("s3://browser-lab-bucket/hello world.txt")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == "hello world.txt"
    saved = tmp_path / "downloaded.txt"
    download.save_as(saved)
    assert saved.read_bytes() == source.read_bytes()
