"""S3 console: buckets (list, create, empty, delete), the Objects tab (browse, upload,
create folder, download, delete), the Permissions and Properties tabs, and the object
page — through the dispatcher, with AWS's wording and AWS's errors."""

import hashlib
import html
import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from awsapi.dispatch import dispatch
from s3.models import Bucket, Object
from tests.console.helpers import root_sign_in
from tests.trail.test_trails import log_data_events
from trail.models import Event

pytestmark = pytest.mark.django_db

READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def make_bucket(ctx, name="lab-bucket", region=None):
    params = {"Bucket": name}
    if region:
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    dispatch(ctx, "s3:CreateBucket", params)
    return name


def put(ctx, key, body=b"hello", bucket="lab-bucket"):
    dispatch(ctx, "s3:PutObject", {"Bucket": bucket, "Key": key, "Body": body})


def page(response):
    return html.unescape(response.content.decode())


def upload(client, *files, prefix="", bucket="lab-bucket"):
    return client.post(f"/s3/buckets/{bucket}/upload", {"prefix": prefix, "files": list(files)})


def download(client, key, bucket="lab-bucket"):
    response = client.get(f"/s3/object/{bucket}/download", {"key": key})
    assert response.status_code == 200, response.content[:500]
    return response, b"".join(response.streaming_content)


@pytest.fixture
def bucket(alice):
    return make_bucket(alice)


@pytest.fixture
def read_only_bob(alice, bob):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": READ_ONLY})
    return bob


def denied(action, resource):
    return (
        f"User: arn:aws:iam::111122223333:user/bob is not authorized to perform: {action} on resource: "
        f"{resource} because no identity-based policy allows the {action} action"
    )


# --- General purpose buckets ---------------------------------------------------------------


def test_buckets_page_lists_name_region_and_creation_date(root_client, alice):
    make_bucket(alice, "lab-bucket")
    make_bucket(alice, "lab-logs", region="eu-west-1")
    body = page(root_client.get("/s3/buckets"))
    assert 'General purpose buckets <span class="count">(2)</span>' in body
    assert ">lab-bucket</a>" in body and ">lab-logs</a>" in body
    assert "US East (N. Virginia) us-east-1" in body and "Europe (Ireland) eu-west-1" in body
    assert "(UTC+00:00)" in body


def test_buckets_page_filters_by_name(root_client, alice):
    make_bucket(alice, "lab-bucket")
    make_bucket(alice, "other-data")
    body = page(root_client.get("/s3/buckets", {"q": "OTHER"}))
    assert ">other-data</a>" in body and ">lab-bucket</a>" not in body


def test_buckets_page_never_shows_another_accounts_buckets(root_client, charlie):
    make_bucket(charlie, "charlies-bucket")
    assert "charlies-bucket" not in page(root_client.get("/s3/buckets"))


def test_s3_is_in_the_services_menu(root_client):
    assert '<a href="/s3/buckets">S3</a>' in root_client.get("/console/home").content.decode()


def test_create_bucket_in_the_chosen_region(root_client, alice_account):
    response = root_client.post("/s3/bucket/create", {"bucket_name": "new-lab-bucket", "region": "eu-central-1"})
    assert response.status_code == 302 and response.url == "/s3/buckets"
    assert Bucket.objects.get(name="new-lab-bucket").region == "eu-central-1"
    assert 'Successfully created bucket "new-lab-bucket"' in page(root_client.get(response.url))
    assert Event.objects.filter(event_name="CreateBucket", error_code="").count() == 1


def test_create_bucket_form_shows_the_naming_rules(root_client):
    body = page(root_client.get("/s3/bucket/create"))
    assert "Bucket names must be 3 to 63 characters and unique within the global namespace." in body
    assert "US East (N. Virginia) us-east-1" in body


@pytest.mark.parametrize("name", ["Bad_Name", "ab", "192.168.5.4", "my..bucket", "xn--bucket"])
def test_create_bucket_with_an_invalid_name_shows_aws_error_and_creates_nothing(root_client, alice_account, name):
    response = root_client.post("/s3/bucket/create", {"bucket_name": name, "region": "us-east-1"})
    assert response.status_code == 400
    assert "The specified bucket is not valid." in page(response)
    assert not Bucket.objects.exists()


def test_create_bucket_that_already_exists(root_client, alice, charlie):
    make_bucket(alice, "lab-bucket")
    make_bucket(charlie, "charlies-bucket")
    mine = page(root_client.post("/s3/bucket/create", {"bucket_name": "lab-bucket", "region": "us-east-1"}))
    assert "Your previous request to create the named bucket succeeded and you already own it." in mine
    theirs = page(root_client.post("/s3/bucket/create", {"bucket_name": "charlies-bucket", "region": "us-east-1"}))
    assert "The requested bucket name is not available." in theirs


def test_delete_bucket_asks_for_its_name(root_client, bucket):
    response = root_client.post(f"/s3/buckets/{bucket}/delete", {"confirm": "wrong"})
    assert response.status_code == 400
    assert Bucket.objects.filter(name=bucket).exists()
    response = root_client.post(f"/s3/buckets/{bucket}/delete", {"confirm": bucket})
    assert response.status_code == 302 and response.url == "/s3/buckets"
    assert not Bucket.objects.filter(name=bucket).exists()


def test_delete_bucket_that_is_not_empty_points_to_empty(root_client, alice, bucket):
    put(alice, "a.txt")
    body = page(root_client.get(f"/s3/buckets/{bucket}/delete"))
    assert "This bucket is not empty" in body and f'href="/s3/buckets/{bucket}/empty"' in body
    response = root_client.post(f"/s3/buckets/{bucket}/delete", {"confirm": bucket})
    assert response.status_code == 400
    assert "Buckets must be empty before they can be deleted." in page(response)
    assert Event.objects.filter(event_name="DeleteBucket", error_code="BucketNotEmpty").exists()
    assert Bucket.objects.filter(name=bucket).exists()


def test_empty_bucket_then_delete_it(root_client, alice, bucket):
    for key in ("a.txt", "docs/b.txt", "docs/deep/c.txt"):
        put(alice, key)
    assert root_client.post(f"/s3/buckets/{bucket}/empty", {"confirm": "delete"}).status_code == 400
    response = root_client.post(f"/s3/buckets/{bucket}/empty", {"confirm": "permanently delete"})
    assert response.status_code == 302
    assert not Object.objects.exists()
    assert root_client.post(f"/s3/buckets/{bucket}/delete", {"confirm": bucket}).status_code == 302


def test_bucket_list_delete_button_opens_the_chosen_buckets_delete_page(root_client, bucket):
    response = root_client.get("/s3/bucket/actions", {"bucket": bucket, "action": "delete"})
    assert response.url == f"/s3/buckets/{bucket}/delete"
    response = root_client.get("/s3/bucket/actions", {"bucket": bucket, "action": "empty"})
    assert response.url == f"/s3/buckets/{bucket}/empty"


def test_unknown_bucket_is_not_found(root_client, alice_account):
    assert root_client.get("/s3/buckets/no-such-bucket").status_code == 404
    assert root_client.get("/s3/buckets/no-such-bucket", {"tab": "permissions"}).status_code == 404
    assert root_client.get("/s3/object/no-such-bucket", {"key": "a"}).status_code == 404


# --- Objects ------------------------------------------------------------------------------------


def test_upload_a_small_file_and_download_it_byte_identical(root_client, bucket):
    response = upload(root_client, SimpleUploadedFile("notes.txt", b"hello, s3\n", content_type="text/plain"))
    assert response.status_code == 200
    body = page(response)
    assert "Upload succeeded" in body and "1 file, 10.0 B" in body
    obj = Object.objects.get(key="notes.txt")
    assert obj.size == 10 and obj.content_type == "text/plain"
    response, data = download(root_client, "notes.txt")
    assert data == b"hello, s3\n"
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["Content-Type"] == "text/plain"


def test_upload_a_6_mib_file_and_download_it_byte_identical(root_client, bucket):
    data = os.urandom(6 * 1024 * 1024)
    response = upload(root_client, SimpleUploadedFile("big.bin", data, content_type="application/octet-stream"))
    assert response.status_code == 200 and "6.0 MB" in page(response)
    obj = Object.objects.get(key="big.bin")
    assert obj.size == len(data) and obj.etag == hashlib.md5(data).hexdigest()
    response, downloaded = download(root_client, "big.bin")
    assert response["Content-Length"] == str(len(data))
    assert downloaded == data


def test_upload_several_files_into_the_current_folder(root_client, bucket, alice):
    log_data_events(alice)
    files = [SimpleUploadedFile(f"f{i}.txt", b"x" * i) for i in range(3)]
    upload(root_client, *files, prefix="docs/")
    assert sorted(Object.objects.values_list("key", flat=True)) == ["docs/f0.txt", "docs/f1.txt", "docs/f2.txt"]
    assert Event.objects.filter(event_name="PutObject").count() == 3


def test_upload_without_files_says_so(root_client, bucket):
    response = root_client.post(f"/s3/buckets/{bucket}/upload", {"prefix": ""})
    assert response.status_code == 400
    assert "Add the files you want to upload." in page(response)


def test_create_folder_makes_a_zero_byte_slash_object(root_client, bucket):
    response = root_client.post(f"/s3/buckets/{bucket}/create-folder", {"prefix": "docs/", "folder_name": "reports"})
    assert response.status_code == 302
    obj = Object.objects.get()
    assert obj.key == "docs/reports/" and obj.size == 0
    body = page(root_client.get(response.url, follow=True))
    assert 'Successfully created folder "reports".' in body


def test_folder_name_with_a_slash_is_refused(root_client, bucket):
    response = root_client.post(f"/s3/buckets/{bucket}/create-folder", {"folder_name": "a/b"})
    assert response.status_code == 400 and 'Folder names can\'t contain "/".' in page(response)
    assert not Object.objects.exists()


def test_objects_tab_browses_by_prefix_with_folders_first(root_client, alice, bucket):
    for key in ("top.txt", "docs/", "docs/a.txt", "docs/deep/b.txt", "photos/cat.jpg"):
        put(alice, key)
    root = page(root_client.get(f"/s3/buckets/{bucket}"))
    assert ">docs/</a>" in root and ">photos/</a>" in root and ">top.txt</a>" in root
    assert "a.txt" not in root and root.index(">docs/</a>") < root.index(">top.txt</a>")
    assert "<td>Folder</td>" in root and "<td>txt</td>" in root and "<td>Standard</td>" in root
    docs = page(root_client.get(f"/s3/buckets/{bucket}", {"tab": "objects", "prefix": "docs/"}))
    assert ">a.txt</a>" in docs and ">deep/</a>" in docs and "top.txt" not in docs
    # The folder's own "docs/" object is not listed inside it; the breadcrumb leads back.
    assert 'Objects <span class="count">(2)</span>' in docs
    assert f'<a href="/s3/buckets/{bucket}?tab=objects">{bucket}</a>' in docs
    assert "s3://lab-bucket/docs/" in docs


def test_objects_tab_finds_objects_by_prefix(root_client, alice, bucket):
    for key in ("report-1.txt", "report-2.txt", "notes.txt"):
        put(alice, key)
    body = page(root_client.get(f"/s3/buckets/{bucket}", {"tab": "objects", "q": "report"}))
    assert ">report-1.txt</a>" in body and ">report-2.txt</a>" in body and "notes.txt" not in body


def test_objects_tab_pages_with_the_continuation_token(root_client, alice, bucket, monkeypatch):
    monkeypatch.setattr("s3.views_objects.OBJECTS_PAGE_SIZE", 2)
    for key in ("a.txt", "b.txt", "c.txt", "d/e.txt", "f.txt"):
        put(alice, key)
    first = page(root_client.get(f"/s3/buckets/{bucket}"))
    assert ">a.txt</a>" in first and ">b.txt</a>" in first and "c.txt" not in first
    token = first.split("token=", 1)[1].split('"', 1)[0]
    second = page(root_client.get(f"/s3/buckets/{bucket}?tab=objects&token={token}"))
    assert ">c.txt</a>" in second and ">d/</a>" in second and "a.txt" not in second
    assert "First page" in second


def test_objects_tab_with_a_bad_token_shows_aws_error_not_a_500(root_client, bucket):
    response = root_client.get(f"/s3/buckets/{bucket}", {"tab": "objects", "token": "!!!"})
    assert response.status_code == 200
    assert "The continuation token provided is incorrect" in page(response)


def test_delete_objects_asks_to_type_permanently_delete(root_client, alice, bucket):
    for key in ("a.txt", "b.txt", "c.txt"):
        put(alice, key)
    confirm = page(root_client.get(f"/s3/buckets/{bucket}/delete-objects", {"key": ["a.txt", "b.txt"]}))
    assert "Permanently delete objects?" in confirm
    assert "To confirm deletion, type permanently delete in the text input field." in confirm
    wrong = root_client.post(f"/s3/buckets/{bucket}/delete-objects", {"key": ["a.txt", "b.txt"], "confirm": "yes"})
    assert wrong.status_code == 400 and Object.objects.count() == 3
    response = root_client.post(
        f"/s3/buckets/{bucket}/delete-objects", {"key": ["a.txt", "b.txt"], "confirm": "permanently delete"}
    )
    assert response.status_code == 302
    assert list(Object.objects.values_list("key", flat=True)) == ["c.txt"]
    assert "Successfully deleted 2 objects." in page(root_client.get(response.url))


def test_deleting_a_folder_deletes_everything_under_it(root_client, alice, bucket):
    for key in ("docs/", "docs/a.txt", "docs/deep/b.txt", "keep.txt", "docsx.txt"):
        put(alice, key)
    root_client.post(f"/s3/buckets/{bucket}/delete-objects", {"key": ["docs/"], "confirm": "permanently delete"})
    assert sorted(Object.objects.values_list("key", flat=True)) == ["docsx.txt", "keep.txt"]


def test_object_page_shows_the_object_overview(root_client, alice, bucket):
    put(alice, "docs/report.pdf", b"%PDF-1.4 lab")
    body = page(root_client.get(f"/s3/object/{bucket}", {"key": "docs/report.pdf"}))
    for text in (
        "Object overview",
        "US East (N. Virginia) us-east-1",
        "12.0 B",
        "<dd>pdf</dd>",
        "s3://lab-bucket/docs/report.pdf",
        "arn:aws:s3:::lab-bucket/docs/report.pdf",
        hashlib.md5(b"%PDF-1.4 lab").hexdigest(),
        "http://testserver/lab-bucket/docs/report.pdf",
        "Entity tag (Etag)",
    ):
        assert text in body, text
    assert "/s3/object/lab-bucket/download?key=docs%2Freport.pdf" in body


def test_missing_object_is_not_found(root_client, bucket):
    assert root_client.get(f"/s3/object/{bucket}", {"key": "nope"}).status_code == 404
    assert root_client.get(f"/s3/object/{bucket}/download", {"key": "nope"}).status_code == 404


def test_download_button_needs_exactly_one_object(root_client, alice, bucket):
    put(alice, "a.txt")
    put(alice, "b.txt")
    response = root_client.get(f"/s3/object/{bucket}/download", {"key": ["a.txt", "b.txt"]})
    assert response.status_code == 302


def test_objects_list_query_count_does_not_grow_with_objects(root_client, alice, bucket, django_assert_max_num_queries):
    for i in range(60):
        put(alice, f"file-{i:02d}.txt")
    # Session, account, bucket (authorization and operation), one page of keys, the event.
    with django_assert_max_num_queries(8):
        response = root_client.get(f"/s3/buckets/{bucket}")
    assert page(response).count('href="/s3/object/lab-bucket?key=file-') == 60


def test_objects_list_query_count_is_bounded_with_folders(root_client, alice, bucket, django_assert_max_num_queries):
    for i in range(10):
        put(alice, f"folder-{i}/x.txt")
        put(alice, f"folder-{i}/y.txt")
    # ListObjectsV2 reads once more after each common prefix (it skips the folder's keys).
    with django_assert_max_num_queries(8 + 1):
        response = root_client.get(f"/s3/buckets/{bucket}")
    assert page(response).count('<td>Folder</td>') == 10


# --- Permissions and Properties ---------------------------------------------------------------


def test_permissions_tab_shows_new_bucket_defaults(root_client, bucket):
    body = page(root_client.get(f"/s3/buckets/{bucket}", {"tab": "permissions"}))
    assert "Block public access (bucket settings)" in body
    assert 'data-testid="block-all">On<' in body
    assert "No policy to display." in body
    assert "Bucket owner enforced" in body and "ACLs are disabled." in body
    assert "Bucket owner (your AWS account)" in body and "Everyone (public access)" in body
    assert "Bucket and objects not public" in body


def test_malformed_bucket_policy_shows_aws_error_and_saves_nothing(root_client, bucket):
    response = root_client.post(f"/s3/buckets/{bucket}/policy/edit", {"policy": '{"Version": "2012-10-17"'})
    assert response.status_code == 400
    assert "This policy contains invalid Json" in page(response)
    assert Bucket.objects.get(name=bucket).policy == ""
    event = Event.objects.get(event_name="PutBucketPolicy")
    assert event.error_code == "MalformedPolicy"


def test_bucket_policy_with_a_bad_resource_shows_aws_error(root_client, bucket):
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::some-other-bucket/*"}],
    }
    response = root_client.post(f"/s3/buckets/{bucket}/policy/edit", {"policy": json.dumps(policy)})
    assert response.status_code == 400
    assert "Policy has invalid resource" in page(response)


def test_save_and_delete_bucket_policy(root_client, bucket):
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "LabRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                       "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }
    response = root_client.post(f"/s3/buckets/{bucket}/policy/edit", {"policy": json.dumps(policy)})
    assert response.status_code == 302
    assert json.loads(Bucket.objects.get(name=bucket).policy) == policy
    body = page(root_client.get(response.url))
    assert "Successfully edited bucket policy." in body and '"Sid": "LabRead"' in body
    assert '"Sid": "LabRead"' in page(root_client.get(f"/s3/buckets/{bucket}/policy/edit"))
    assert root_client.post(f"/s3/buckets/{bucket}/policy/delete", {"confirm": "nope"}).status_code == 400
    assert root_client.post(f"/s3/buckets/{bucket}/policy/delete", {"confirm": "delete"}).status_code == 302
    assert Bucket.objects.get(name=bucket).policy == ""


def test_public_policy_is_refused_while_block_public_access_is_on(root_client, bucket):
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }
    response = root_client.post(f"/s3/buckets/{bucket}/policy/edit", {"policy": json.dumps(policy)})
    assert response.status_code == 400
    assert "because public policies are blocked by the BlockPublicPolicy block public access setting." in page(response)
    # Turn Block Public Access off (typing "confirm"), then the policy saves and is public.
    off = {"confirm": "confirm"}
    assert root_client.post(f"/s3/buckets/{bucket}/block-public-access/edit", {}).status_code == 400
    assert root_client.post(f"/s3/buckets/{bucket}/block-public-access/edit", off).status_code == 302
    assert Bucket.objects.get(name=bucket).public_access_block == {
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False,
    }
    assert root_client.post(f"/s3/buckets/{bucket}/policy/edit", {"policy": json.dumps(policy)}).status_code == 302
    body = page(root_client.get(f"/s3/buckets/{bucket}", {"tab": "permissions"}))
    assert "Publicly accessible" in body and 'data-testid="bucket-access">Public<' in body


def test_block_all_public_access_turns_on_the_four_settings(root_client, bucket):
    root_client.post(f"/s3/buckets/{bucket}/block-public-access/edit", {"confirm": "confirm"})
    root_client.post(
        f"/s3/buckets/{bucket}/block-public-access/edit", {"block_all": "on", "confirm": "confirm"}
    )
    assert all(Bucket.objects.get(name=bucket).public_access_block.values())


def test_edit_object_ownership_enables_acls(root_client, bucket):
    response = root_client.post(f"/s3/buckets/{bucket}/object-ownership/edit", {"object_ownership": "ObjectWriter"})
    assert response.status_code == 302
    assert Bucket.objects.get(name=bucket).object_ownership == "ObjectWriter"
    body = page(root_client.get(response.url))
    assert "Object writer" in body and "ACLs are enabled." in body


def test_properties_tab_shows_the_bucket_overview_and_tags(root_client, alice):
    make_bucket(alice, "lab-bucket", region="eu-west-2")
    body = page(root_client.get("/s3/buckets/lab-bucket", {"tab": "properties"}))
    assert "Europe (London) eu-west-2" in body and "arn:aws:s3:::lab-bucket" in body and "(UTC+00:00)" in body
    assert "There are no tags associated with this resource." in body
    response = root_client.post("/s3/buckets/lab-bucket/tags/edit", {"key": ["team", ""], "value": ["lab", ""]})
    assert response.status_code == 302
    assert Bucket.objects.get(name="lab-bucket").tags == [{"Key": "team", "Value": "lab"}]
    body = page(root_client.get(response.url))
    assert "<td>team</td><td>lab</td>" in body


def test_invalid_tag_shows_aws_error(root_client, bucket):
    response = root_client.post(f"/s3/buckets/{bucket}/tags/edit", {"key": ["aws:team"], "value": ["x"]})
    assert response.status_code == 400 and "Your TagKey cannot be prefixed with aws:" in page(response)


# --- A read-only IAM user ------------------------------------------------------------------------


def test_read_only_user_sees_buckets_and_objects(read_only_bob, alice, bob_client, bucket):
    put(alice, "docs/a.txt", b"shared")
    assert ">lab-bucket</a>" in page(bob_client.get("/s3/buckets"))
    assert ">docs/</a>" in page(bob_client.get(f"/s3/buckets/{bucket}"))
    assert ">a.txt</a>" in page(bob_client.get(f"/s3/buckets/{bucket}", {"prefix": "docs/"}))
    assert download(bob_client, "docs/a.txt")[1] == b"shared"


def test_read_only_user_gets_aws_access_denied_on_create_bucket(read_only_bob, bob_client):
    response = bob_client.post("/s3/bucket/create", {"bucket_name": "bobs-bucket", "region": "us-east-1"})
    assert response.status_code == 400
    assert denied("s3:CreateBucket", "arn:aws:s3:::bobs-bucket") in page(response)
    assert not Bucket.objects.filter(name="bobs-bucket").exists()


def test_read_only_user_gets_aws_access_denied_on_upload(read_only_bob, bob_client, bucket):
    response = upload(bob_client, SimpleUploadedFile("x.txt", b"nope"))
    assert response.status_code == 403
    body = page(response)
    assert "Upload failed" in body
    assert denied("s3:PutObject", "arn:aws:s3:::lab-bucket/x.txt") in body
    assert not Object.objects.exists()


def test_user_without_s3_permissions_sees_access_denied_on_the_buckets_page(bob_client):
    body = page(bob_client.get("/s3/buckets"))
    assert "is not authorized to perform: s3:ListAllMyBuckets" in body
    assert "You don't have permissions to list buckets." in body


def test_posts_need_the_csrf_token(alice_account):
    client = Client(enforce_csrf_checks=True)
    root_sign_in_with_csrf(client)
    response = client.post("/s3/bucket/create", {"bucket_name": "csrf-less", "region": "us-east-1"})
    assert response.status_code == 403
    assert not Bucket.objects.exists()


def root_sign_in_with_csrf(client):
    # Signing in itself needs the token: fetch the form first, as a browser does.
    client.get("/signin")
    token = client.cookies["csrftoken"].value
    assert root_sign_in(client, csrfmiddlewaretoken=token).status_code == 302
