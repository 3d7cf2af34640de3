"""S3 objects with the real aws CLI and boto3 against a live server: cp up and down
(multipart for a large file), ls, sync, rb --force, presign fetched without credentials,
boto3's default checksums, ranges and conditional reads."""

import base64
import hashlib
from datetime import datetime, timezone
import os
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from awsapi.dispatch import dispatch
from s3.models import MultipartUpload, Object


@pytest.fixture
def root_key(alice):
    return dispatch(alice, "iam:CreateAccessKey")["AccessKey"]


@pytest.fixture
def root_cli(cli, root_key):
    cli.configure("root", root_key["AccessKeyId"], root_key["SecretAccessKey"])
    cli.ok("s3api", "create-bucket", "--bucket", "class-files", profile="root")
    return cli


@pytest.fixture
def s3(boto3_client, root_key):
    client = boto3_client("s3", root_key["AccessKeyId"], root_key["SecretAccessKey"])
    client.create_bucket(Bucket="boto-files")
    return client


def stored_files(var_dir):
    root = var_dir / "s3"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_cp_up_and_down_a_file_that_forces_multipart(root_cli, tmp_path, var_dir):
    data = os.urandom(9 * 1024 * 1024 + 12345)  # over the CLI's 8 MiB multipart threshold
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    up = root_cli.run("s3", "cp", str(source), "s3://class-files/data/big.bin", profile="root")
    assert up.returncode == 0, up.stderr
    stored = Object.objects.get(key="data/big.bin")
    assert stored.size == len(data) and stored.parts_count == 2 and stored.etag.endswith("-2")
    assert not MultipartUpload.objects.exists()
    back = tmp_path / "back.bin"
    down = root_cli.run("s3", "cp", "s3://class-files/data/big.bin", str(back), profile="root")
    assert down.returncode == 0, down.stderr
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert not list((var_dir / "s3" / "tmp").iterdir())


def test_ls_sync_and_rb_force(root_cli, tmp_path):
    folder = tmp_path / "site"
    (folder / "css").mkdir(parents=True)
    (folder / "index.html").write_text("<h1>hello</h1>")
    (folder / "css" / "style.css").write_text("h1 { color: red }")
    for path in (folder / "index.html", folder / "css" / "style.css"):
        os.utime(path, (1_700_000_000, 1_700_000_000))  # older than the upload, as sync expects
    synced = root_cli.run("s3", "sync", str(folder), "s3://class-files/site", profile="root")
    assert synced.returncode == 0, synced.stderr
    assert "upload:" in synced.stdout and "site/css/style.css" in synced.stdout
    again = root_cli.run("s3", "sync", str(folder), "s3://class-files/site", profile="root")
    assert again.returncode == 0 and again.stdout.strip() == ""  # nothing changed, nothing sent
    top = root_cli.run("s3", "ls", "s3://class-files/site/", profile="root")
    assert "PRE css/" in top.stdout and "index.html" in top.stdout and "style.css" not in top.stdout
    everything = root_cli.run("s3", "ls", "--recursive", "s3://class-files/", profile="root")
    assert "site/css/style.css" in everything.stdout
    refused = root_cli.run("s3", "rb", "s3://class-files", profile="root")
    assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr
    removed = root_cli.run("s3", "rb", "--force", "s3://class-files", profile="root")
    assert removed.returncode == 0, removed.stderr
    assert "remove_bucket: class-files" in removed.stdout
    assert not Object.objects.exists()


def test_presigned_url_works_without_credentials_until_it_expires(root_cli, tmp_path, live_server, frozen_clock):
    frozen_clock.current = datetime.now(timezone.utc).replace(microsecond=0)  # the CLI signs with the real time
    source = tmp_path / "notes.txt"
    source.write_text("lecture notes")
    assert root_cli.run("s3", "cp", str(source), "s3://class-files/notes.txt", profile="root").returncode == 0
    url = root_cli.run("s3", "presign", "s3://class-files/notes.txt", "--expires-in", "60", profile="root")
    assert url.returncode == 0 and url.stdout.startswith(live_server.url)
    with urllib.request.urlopen(url.stdout.strip()) as response:
        assert response.read() == b"lecture notes"
    tampered = url.stdout.strip().replace("notes.txt", "notes.txt2")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(tampered)
    assert caught.value.code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in caught.value.read()
    frozen_clock.advance(seconds=120)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url.stdout.strip())
    assert caught.value.code == 403 and b"Request has expired" in caught.value.read()


def test_sigv4_presigned_url_too(s3, live_server):
    s3.put_object(Bucket="boto-files", Key="a b+c.txt", Body=b"spaces and plus")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "boto-files", "Key": "a b+c.txt"}, ExpiresIn=60
    )
    assert "X-Amz-Signature" not in url  # botocore signs s3 presigned URLs with SigV2 by default
    from botocore.config import Config
    import boto3

    v4 = boto3.client(
        "s3", endpoint_url=live_server.url, region_name="us-east-1", config=Config(signature_version="s3v4"),
        aws_access_key_id=s3._request_signer._credentials.access_key,
        aws_secret_access_key=s3._request_signer._credentials.secret_key,
    )
    url = v4.generate_presigned_url("get_object", Params={"Bucket": "boto-files", "Key": "a b+c.txt"}, ExpiresIn=60)
    assert "X-Amz-Signature" in url
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"spaces and plus"


def test_put_object_with_default_checksums_and_read_back(s3):
    put = s3.put_object(Bucket="boto-files", Key="report.csv", Body=b"a,b\n1,2\n", Metadata={"Course": "IAM"})
    assert put["ETag"] == '"%s"' % hashlib.md5(b"a,b\n1,2\n").hexdigest()
    assert "ChecksumCRC32" in put  # botocore's default, sent as an aws-chunked trailer
    got = s3.get_object(Bucket="boto-files", Key="report.csv", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"a,b\n1,2\n"
    assert got["Metadata"] == {"course": "IAM"} and got["ChecksumCRC32"] == put["ChecksumCRC32"]
    assert got["ContentLength"] == 8
    head = s3.head_object(Bucket="boto-files", Key="report.csv")
    assert head["ETag"] == put["ETag"] and head["ContentLength"] == 8


def _crc(data, poly, width):
    """A bit-by-bit reflected CRC with all-ones init and xorout: CRC-32C and CRC-64/NVME,
    computed here independently of the server's table-driven implementation."""
    mask = (1 << width) - 1
    crc = mask
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return (crc ^ mask).to_bytes(width // 8, "big")


@pytest.mark.parametrize(
    "algorithm, digest",
    [
        ("SHA1", lambda data: hashlib.sha1(data).digest()),
        ("SHA256", lambda data: hashlib.sha256(data).digest()),
        ("CRC32C", lambda data: _crc(data, 0x82F63B78, 32)),
        ("CRC64NVME", lambda data: _crc(data, 0x9A6C9329AC4BC9B5, 64)),
    ],
)
def test_every_checksum_algorithm(s3, algorithm, digest):
    assert _crc(b"123456789", 0x9A6C9329AC4BC9B5, 64).hex() == "ae8b14860a799888"  # CRC-64/NVME's check value
    value = base64.b64encode(digest(b"checksum me")).decode()
    # botocore computes CRC32C and CRC64NVME only with awscrt: the value is given here.
    put = s3.put_object(Bucket="boto-files", Key=f"c-{algorithm}", Body=b"checksum me", **{f"Checksum{algorithm}": value})
    assert put[f"Checksum{algorithm}"] == value
    got = s3.head_object(Bucket="boto-files", Key=f"c-{algorithm}", ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == value
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="boto-files", Key="wrong", Body=b"checksum me!", **{f"Checksum{algorithm}": value})
    assert caught.value.response["Error"]["Message"] == (
        f"The {algorithm} you specified did not match the calculated checksum."
    )


def test_objects_without_a_checksum_get_crc64nvme(s3):
    s3.put_object(Bucket="boto-files", Key="plain", Body=b"checksum me", ChecksumAlgorithm="SHA256")
    stored = Object.objects.get(key="plain")
    assert stored.checksum_algorithm == "SHA256"
    from s3.operations import bodies

    received = bodies.receive({"body": b"123456789"})
    received.staged.discard()
    assert received.checksum_algorithm == "CRC64NVME"
    assert base64.b64decode(received.checksum_value).hex() == "ae8b14860a799888"


def test_ranges_and_conditional_reads(s3):
    put = s3.put_object(Bucket="boto-files", Key="digits", Body=b"0123456789")
    part = s3.get_object(Bucket="boto-files", Key="digits", Range="bytes=2-4")
    assert part["Body"].read() == b"234" and part["ContentRange"] == "bytes 2-4/10"
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert s3.get_object(Bucket="boto-files", Key="digits", Range="bytes=-3")["Body"].read() == b"789"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="boto-files", Key="digits", Range="bytes=20-")
    assert caught.value.response["Error"]["Code"] == "InvalidRange"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="boto-files", Key="digits", IfNoneMatch=put["ETag"])
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="boto-files", Key="digits", IfMatch='"0000"')
    assert caught.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="boto-files", Key="missing")
    assert caught.value.response["Error"]["Code"] == "NoSuchKey"


def test_copy_delete_objects_and_list_pages(s3):
    for name in ("a/1", "a/2", "b/1", "c", "d"):
        s3.put_object(Bucket="boto-files", Key=name, Body=name.encode())
    s3.copy_object(Bucket="boto-files", Key="e", CopySource={"Bucket": "boto-files", "Key": "c"})
    assert s3.get_object(Bucket="boto-files", Key="e")["Body"].read() == b"c"
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="boto-files", Delimiter="/", MaxKeys=2)
    keys, prefixes = [], []
    for page in pages:
        keys += [item["Key"] for item in page.get("Contents", [])]
        prefixes += [item["Prefix"] for item in page.get("CommonPrefixes", [])]
    assert keys == ["c", "d", "e"] and prefixes == ["a/", "b/"]
    v1 = s3.list_objects(Bucket="boto-files", Prefix="a/")
    assert [item["Key"] for item in v1["Contents"]] == ["a/1", "a/2"]
    deleted = s3.delete_objects(Bucket="boto-files", Delete={"Objects": [{"Key": "a/1"}, {"Key": "nope"}]})
    assert sorted(item["Key"] for item in deleted["Deleted"]) == ["a/1", "nope"]
    assert not Object.objects.filter(key="a/1").exists()


def test_bad_input_is_refused_and_nothing_is_stored(s3, var_dir):
    before = stored_files(var_dir)
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="boto-files", Key="k" * 1025, Body=b"x")
    assert caught.value.response["Error"]["Code"] == "KeyTooLongError"
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="boto-files", Key="md5", Body=b"x", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
    assert caught.value.response["Error"]["Code"] == "BadDigest"
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="boto-files", Key="crc", Body=b"x", ChecksumCRC32="AAAAAA==")
    assert caught.value.response["Error"]["Code"] == "BadDigest"
    assert not Object.objects.exists()
    assert stored_files(var_dir) == before
