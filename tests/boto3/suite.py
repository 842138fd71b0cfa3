"""A third real client against `imgflow local`: boto3 (Debian python3-boto3).

Every check states the behaviour AWS documents for the call; the suite is
run by `go test ./cmd/imgflow -run TestBoto3` (and so by `make test`), which
boots the stack and passes its endpoint and resources in the environment:

  IMGFLOW_ENDPOINT        http://127.0.0.1:PORT
  AWS_DEFAULT_REGION      the stack's region
  IMGFLOW_UPLOAD_BUCKET   the pipeline's upload bucket
  IMGFLOW_UPLOAD_PREFIX   its prefix (uploads/)
  IMGFLOW_OUTPUT_BUCKET   where variants and manifests go
  IMGFLOW_STATE_MACHINE   the pipeline's state machine ARN
  IMGFLOW_PHOTO           path of a small JPEG to upload

Run by hand against a running stack:
  IMGFLOW_ENDPOINT=http://127.0.0.1:4566 ... /usr/bin/python3 tests/boto3/suite.py -v
"""

import base64
import hashlib
import io
import json
import os
import socket
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["IMGFLOW_ENDPOINT"]
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
# The local stack verifies signatures; without configured credentials the
# secret is the access key id (README: "Credentials").
KEY = os.environ.get("AWS_ACCESS_KEY_ID", "boto3")
SECRET = os.environ.get("AWS_SECRET_ACCESS_KEY", KEY)


def client(service, **config):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}, **config),
    )


def error_of(call, *args, **kwargs):
    """Runs call and returns the ClientError it raised (fails if none)."""
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e
    raise AssertionError("%s succeeded; an error was expected" % getattr(call, "__name__", call))


def code(err):
    return err.response["Error"]["Code"]


def status(err):
    return err.response["ResponseMetadata"]["HTTPStatusCode"]


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


class S3Case(unittest.TestCase):
    """A fresh bucket per test class; emptied (every version) and deleted after."""

    versioned = False

    @classmethod
    def setUpClass(cls):
        cls.s3 = client("s3", s3={"addressing_style": "path"})
        cls.bucket = unique("boto3")
        cls.s3.create_bucket(Bucket=cls.bucket)
        if cls.versioned:
            cls.s3.put_bucket_versioning(Bucket=cls.bucket, VersioningConfiguration={"Status": "Enabled"})

    @classmethod
    def tearDownClass(cls):
        empty_bucket(cls.s3, cls.bucket)
        cls.s3.delete_bucket(Bucket=cls.bucket)


def empty_bucket(s3, bucket):
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=o["Key"])


class TestS3Headers(S3Case):
    def test_stored_headers_come_back(self):
        # PutObject: Cache-Control, Content-Disposition, Content-Encoding,
        # Content-Language, Expires and x-amz-website-redirect-location are
        # stored and returned by GET and HEAD.
        expires = "Wed, 21 Oct 2037 07:28:00 GMT"
        self.s3.put_object(
            Bucket=self.bucket, Key="h.jpg", Body=b"x", ContentType="image/jpeg",
            CacheControl="public, max-age=31536000, immutable", ContentLanguage="de-CH",
            ContentDisposition='inline; filename="h.jpg"', Expires=expires,
            WebsiteRedirectLocation="/other.jpg")
        for resp in (self.s3.head_object(Bucket=self.bucket, Key="h.jpg"),
                     self.s3.get_object(Bucket=self.bucket, Key="h.jpg")):
            h = resp["ResponseMetadata"]["HTTPHeaders"]
            self.assertEqual(resp["CacheControl"], "public, max-age=31536000, immutable")
            self.assertEqual(resp["ContentLanguage"], "de-CH")
            self.assertEqual(resp["ContentDisposition"], 'inline; filename="h.jpg"')
            self.assertEqual(resp["ContentType"], "image/jpeg")
            self.assertEqual(h.get("expires"), expires)
            self.assertEqual(resp["WebsiteRedirectLocation"], "/other.jpg")

    def test_user_metadata_keys_are_lower_case(self):
        # User-defined metadata: S3 stores keys in lower case.
        self.s3.put_object(Bucket=self.bucket, Key="m", Body=b"x", Metadata={"Foo": "1", "Camel-Case": "two"})
        got = self.s3.head_object(Bucket=self.bucket, Key="m")["Metadata"]
        self.assertEqual(got, {"foo": "1", "camel-case": "two"})
        raw = self.s3.head_object(Bucket=self.bucket, Key="m")["ResponseMetadata"]["HTTPHeaders"]
        self.assertIn("x-amz-meta-camel-case", raw)

    def test_copy_object_metadata_directive(self):
        self.s3.put_object(Bucket=self.bucket, Key="src", Body=b"copy me", Metadata={"a": "1"}, ContentType="text/plain")
        # COPY (the default) keeps the source's metadata and ignores the request's.
        self.s3.copy_object(Bucket=self.bucket, Key="copied", CopySource={"Bucket": self.bucket, "Key": "src"},
                            Metadata={"b": "2"})
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="copied")["Metadata"], {"a": "1"})
        # REPLACE takes the request's metadata and content type.
        self.s3.copy_object(Bucket=self.bucket, Key="replaced", CopySource={"Bucket": self.bucket, "Key": "src"},
                            Metadata={"b": "2"}, MetadataDirective="REPLACE", ContentType="application/json")
        head = self.s3.head_object(Bucket=self.bucket, Key="replaced")
        self.assertEqual(head["Metadata"], {"b": "2"})
        self.assertEqual(head["ContentType"], "application/json")
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="replaced")["Body"].read(), b"copy me")
        # Copying an object onto itself without changing anything is refused.
        err = error_of(self.s3.copy_object, Bucket=self.bucket, Key="src", CopySource={"Bucket": self.bucket, "Key": "src"})
        self.assertEqual((code(err), status(err)), ("InvalidRequest", 400))
        # ... but allowed with REPLACE (that is how metadata is edited in place).
        self.s3.copy_object(Bucket=self.bucket, Key="src", CopySource={"Bucket": self.bucket, "Key": "src"},
                            Metadata={"c": "3"}, MetadataDirective="REPLACE")
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="src")["Metadata"], {"c": "3"})


class TestS3Tagging(S3Case):
    def test_tagging_on_put_and_the_tagging_api(self):
        self.s3.put_object(Bucket=self.bucket, Key="t", Body=b"x", Tagging="team=photos&stage=raw")
        tags = self.s3.get_object_tagging(Bucket=self.bucket, Key="t")["TagSet"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags), [("stage", "raw"), ("team", "photos")])
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="t")["TagCount"], 2)
        self.s3.put_object_tagging(Bucket=self.bucket, Key="t", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
        self.assertEqual(self.s3.get_object_tagging(Bucket=self.bucket, Key="t")["TagSet"], [{"Key": "only", "Value": "one"}])
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="t")["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count"), "1")
        self.s3.delete_object_tagging(Bucket=self.bucket, Key="t")
        self.assertEqual(self.s3.get_object_tagging(Bucket=self.bucket, Key="t")["TagSet"], [])
        self.assertNotIn("TagCount", self.s3.get_object(Bucket=self.bucket, Key="t"))

    def test_too_many_tags_is_refused(self):
        # An object may have at most 10 tags.
        tags = "&".join("k%d=v" % i for i in range(11))
        err = error_of(self.s3.put_object, Bucket=self.bucket, Key="many", Body=b"x", Tagging=tags)
        self.assertEqual(status(err), 400)


class TestS3Transfers(S3Case):
    def test_managed_upload_download_and_copy_of_a_large_object(self):
        # boto3's managed transfers: multipart upload above the threshold,
        # ranged GETs to download, and UploadPartCopy for s3.copy().
        body = os.urandom(11 * 1024 * 1024 + 17)
        cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=2)
        self.s3.upload_fileobj(io.BytesIO(body), self.bucket, "big.bin", Config=cfg)
        head = self.s3.head_object(Bucket=self.bucket, Key="big.bin")
        self.assertEqual(head["ContentLength"], len(body))
        self.assertTrue(head["ETag"].endswith('-3"'), head["ETag"])  # a multipart ETag names its part count
        self.s3.copy({"Bucket": self.bucket, "Key": "big.bin"}, self.bucket, "big-copy.bin", Config=cfg)
        out = io.BytesIO()
        self.s3.download_fileobj(self.bucket, "big-copy.bin", out, Config=cfg)
        self.assertEqual(hashlib.sha256(out.getvalue()).hexdigest(), hashlib.sha256(body).hexdigest())

    def test_upload_part_copy_with_a_range(self):
        self.s3.put_object(Bucket=self.bucket, Key="part-src", Body=b"0123456789" * 600000)
        up = self.s3.create_multipart_upload(Bucket=self.bucket, Key="ranged")
        part = self.s3.upload_part_copy(Bucket=self.bucket, Key="ranged", UploadId=up["UploadId"], PartNumber=1,
                                        CopySource={"Bucket": self.bucket, "Key": "part-src"}, CopySourceRange="bytes=10-19")
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key="ranged", UploadId=up["UploadId"],
                                          MultipartUpload={"Parts": [{"ETag": part["CopyPartResult"]["ETag"], "PartNumber": 1}]})
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="ranged")["Body"].read(), b"0123456789")

    def test_list_objects_v2_paginates(self):
        for i in range(7):
            self.s3.put_object(Bucket=self.bucket, Key="page/%02d" % i, Body=b"x")
        pages = list(self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="page/", PaginationConfig={"PageSize": 3}))
        self.assertEqual([p["KeyCount"] for p in pages], [3, 3, 1])
        self.assertEqual([o["Key"] for p in pages for o in p["Contents"]], ["page/%02d" % i for i in range(7)])


class TestS3Checksums(S3Case):
    def put_and_check(self, algorithm, digest):
        key = "sum-" + algorithm
        body = b"checksummed body"
        resp = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ChecksumAlgorithm=algorithm)
        field = "Checksum" + algorithm
        self.assertEqual(resp.get(field), digest(body))
        got = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        self.assertEqual(got.get(field), digest(body))
        head = self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        self.assertEqual(head.get(field), digest(body))
        # Without ChecksumMode the checksum is not returned.
        self.assertNotIn(field, self.s3.get_object(Bucket=self.bucket, Key=key))

    def test_sha256(self):
        self.put_and_check("SHA256", lambda b: base64.b64encode(hashlib.sha256(b).digest()).decode())

    def test_sha1(self):
        self.put_and_check("SHA1", lambda b: base64.b64encode(hashlib.sha1(b).digest()).decode())

    def test_crc32(self):
        self.put_and_check("CRC32", lambda b: base64.b64encode((zlib.crc32(b) & 0xFFFFFFFF).to_bytes(4, "big")).decode())

    def test_wrong_checksum_is_bad_digest(self):
        wrong = base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
        err = error_of(self.s3.put_object, Bucket=self.bucket, Key="bad", Body=b"checksummed body", ChecksumSHA256=wrong)
        self.assertEqual((code(err), status(err)), ("BadDigest", 400))
        self.assertEqual(code(error_of(self.s3.head_object, Bucket=self.bucket, Key="bad")), "404")

    def test_wrong_content_md5_is_bad_digest(self):
        wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        err = error_of(self.s3.put_object, Bucket=self.bucket, Key="bad-md5", Body=b"body", ContentMD5=wrong)
        self.assertEqual(code(err), "BadDigest")


class TestS3Versioning(S3Case):
    versioned = True

    def test_never_versioned_bucket_has_an_empty_configuration(self):
        b = unique("plain")
        self.s3.create_bucket(Bucket=b)
        try:
            resp = self.s3.get_bucket_versioning(Bucket=b)
            self.assertNotIn("Status", resp)
            self.assertNotIn("MFADelete", resp)
        finally:
            self.s3.delete_bucket(Bucket=b)

    def test_delete_marker_version_is_method_not_allowed(self):
        v1 = self.s3.put_object(Bucket=self.bucket, Key="v", Body=b"one")["VersionId"]
        marker = self.s3.delete_object(Bucket=self.bucket, Key="v")
        self.assertTrue(marker["DeleteMarker"])
        err = error_of(self.s3.get_object, Bucket=self.bucket, Key="v", VersionId=marker["VersionId"])
        self.assertEqual((code(err), status(err)), ("MethodNotAllowed", 405))
        self.assertEqual(err.response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker"), "true")
        # The latest is the marker: a plain GET is NoSuchKey (404), the old version still reads.
        err = error_of(self.s3.get_object, Bucket=self.bucket, Key="v")
        self.assertEqual((code(err), status(err)), ("NoSuchKey", 404))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="v", VersionId=v1)["Body"].read(), b"one")

    def test_delete_objects_reports_delete_markers(self):
        self.s3.put_object(Bucket=self.bucket, Key="d1", Body=b"x")
        self.s3.put_object(Bucket=self.bucket, Key="d2", Body=b"x")
        resp = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": "d1"}, {"Key": "d2"}]})
        deleted = sorted(resp["Deleted"], key=lambda d: d["Key"])
        self.assertEqual([d["Key"] for d in deleted], ["d1", "d2"])
        for d in deleted:
            self.assertTrue(d["DeleteMarker"])
            self.assertTrue(d["DeleteMarkerVersionId"])
        versions = self.s3.list_object_versions(Bucket=self.bucket, Prefix="d")
        self.assertEqual(len(versions["DeleteMarkers"]), 2)


class TestS3Errors(S3Case):
    def test_no_such_key_has_a_message(self):
        err = error_of(self.s3.get_object, Bucket=self.bucket, Key="missing")
        self.assertEqual((code(err), status(err)), ("NoSuchKey", 404))
        self.assertEqual(err.response["Error"]["Message"], "The specified key does not exist.")
        self.assertEqual(err.response["Error"].get("Key"), "missing")

    def test_bucket_not_empty_has_a_message(self):
        b = unique("full")
        self.s3.create_bucket(Bucket=b)
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        try:
            err = error_of(self.s3.delete_bucket, Bucket=b)
            self.assertEqual((code(err), status(err)), ("BucketNotEmpty", 409))
            self.assertEqual(err.response["Error"]["Message"], "The bucket you tried to delete is not empty")
        finally:
            self.s3.delete_object(Bucket=b, Key="k")
            self.s3.delete_bucket(Bucket=b)

    def test_no_such_bucket(self):
        err = error_of(self.s3.list_objects_v2, Bucket=unique("absent"))
        self.assertEqual((code(err), status(err)), ("NoSuchBucket", 404))
        self.assertEqual(err.response["Error"]["Message"], "The specified bucket does not exist")

    def test_unsupported_operation_is_not_implemented(self):
        # Never a false 200: an operation the local S3 lacks says so.
        err = error_of(self.s3.put_bucket_inventory_configuration, Bucket=self.bucket, Id="inv",
                       InventoryConfiguration={"Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::x", "Format": "CSV"}},
                                               "IsEnabled": True, "Id": "inv", "IncludedObjectVersions": "All",
                                               "Schedule": {"Frequency": "Daily"}})
        self.assertEqual((code(err), status(err)), ("NotImplemented", 501))


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class TestS3Presigned(S3Case):
    def test_sigv2_query_form(self):
        # boto3 before 1.36 signs presigned S3 URLs with SigV2 by default:
        # AWSAccessKeyId, Expires, Signature.
        self.s3.put_object(Bucket=self.bucket, Key="p2.txt", Body=b"presigned v2")
        s3v2 = client("s3", signature_version="s3", s3={"addressing_style": "path"})
        url = s3v2.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "p2.txt"}, ExpiresIn=300)
        self.assertIn("Signature=", url)
        self.assertIn("AWSAccessKeyId=", url)
        self.assertEqual(fetch(url), (200, b"presigned v2"))
        tampered = url.replace("p2.txt", "p2.txt%20")
        st, body = fetch(tampered)
        self.assertEqual(st, 403)
        self.assertIn(b"SignatureDoesNotMatch", body)

    def test_sigv4_presigned_url_is_verified(self):
        self.s3.put_object(Bucket=self.bucket, Key="p4.txt", Body=b"presigned v4")
        self.s3.put_object(Bucket=self.bucket, Key="other.txt", Body=b"not for you")
        s3v4 = client("s3", signature_version="s3v4", s3={"addressing_style": "path"})
        url = s3v4.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "p4.txt"}, ExpiresIn=300)
        self.assertIn("X-Amz-Signature=", url)
        self.assertEqual(fetch(url), (200, b"presigned v4"))
        for altered in (url.replace("p4.txt", "other.txt"),                     # another object
                        url + "&response-content-type=text%2Fhtml",            # an added parameter
                        url.replace("X-Amz-Expires=300", "X-Amz-Expires=301")):  # a longer life
            st, body = fetch(altered)
            self.assertEqual(st, 403, altered)
            self.assertIn(b"SignatureDoesNotMatch", body)

    def test_presigned_put(self):
        s3v4 = client("s3", signature_version="s3v4", s3={"addressing_style": "path"})
        url = s3v4.generate_presigned_url("put_object", Params={"Bucket": self.bucket, "Key": "up.txt"}, ExpiresIn=300)
        req = urllib.request.Request(url, data=b"uploaded", method="PUT")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="up.txt")["Body"].read(), b"uploaded")


def resolves(host):
    try:
        socket.getaddrinfo(host, None)
        return True
    except socket.gaierror:
        return False


class TestS3VirtualHosted(S3Case):
    def test_path_style_is_the_default_with_an_endpoint_url(self):
        # The README's "From boto3": with endpoint_url and no addressing
        # style, boto3 puts the bucket in the path, so no DNS is needed.
        port = urllib.parse.urlsplit(ENDPOINT).port
        for host in ("127.0.0.1", "localhost"):
            c = boto3.client("s3", endpoint_url="http://%s:%d" % (host, port), region_name=REGION,
                             aws_access_key_id=KEY, aws_secret_access_key=SECRET)
            urls = []
            c.meta.events.register("before-send", lambda request, **kwargs: urls.append(request.url))
            c.put_object(Bucket=self.bucket, Key="path.txt", Body=b"path")
            self.assertEqual(c.get_object(Bucket=self.bucket, Key="path.txt")["Body"].read(), b"path")
            self.assertTrue(urls[0].startswith("http://%s:%d/%s/path.txt" % (host, port, self.bucket)), urls[0])

    def test_virtual_hosted_style_where_localhost_subdomains_resolve(self):
        self.virtual_hosted("localhost")

    def test_virtual_hosted_style_under_s3_localhost(self):
        self.virtual_hosted("s3.localhost")

    def virtual_hosted(self, base):
        port = urllib.parse.urlsplit(ENDPOINT).port
        if not resolves(self.bucket + "." + base):
            # Resolve *.localhost to loopback as systemd-resolved and browsers
            # do (RFC 6761), so the server's side is tested on every machine.
            real = socket.getaddrinfo

            def loopback(host, *args, **kwargs):
                if isinstance(host, str) and host.endswith(".localhost"):
                    host = "127.0.0.1"
                return real(host, *args, **kwargs)

            socket.getaddrinfo = loopback
            self.addCleanup(setattr, socket, "getaddrinfo", real)
        vh = boto3.client("s3", endpoint_url="http://%s:%d" % (base, port), region_name=REGION,
                          aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                          config=Config(s3={"addressing_style": "virtual"}))
        urls = []
        vh.meta.events.register("before-send", lambda request, **kwargs: urls.append(request.url))
        vh.put_object(Bucket=self.bucket, Key="vh.txt", Body=b"virtual")
        self.assertEqual(urls[0], "http://%s.%s:%d/vh.txt" % (self.bucket, base, port))
        self.assertEqual(vh.get_object(Bucket=self.bucket, Key="vh.txt")["Body"].read(), b"virtual")
        self.assertEqual([o["Key"] for o in vh.list_objects_v2(Bucket=self.bucket, Prefix="vh")["Contents"]], ["vh.txt"])


class TestLambda(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lam = client("lambda")
        fns = [f for p in cls.lam.get_paginator("list_functions").paginate() for f in p["Functions"]]
        cls.functions = {f["FunctionName"]: f for f in fns}
        cls.validate = next(n for n in cls.functions if "Validate" in n)

    def test_list_functions_paginates(self):
        names = sorted(self.functions)
        self.assertGreaterEqual(len(names), 5)
        pages = list(self.lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}))
        self.assertEqual([len(p["Functions"]) for p in pages][:-1], [2] * (len(pages) - 1))
        self.assertEqual(sorted(f["FunctionName"] for p in pages for f in p["Functions"]), names)
        first = self.lam.list_functions(MaxItems=1)
        self.assertEqual(len(first["Functions"]), 1)
        self.assertIn("NextMarker", first)
        second = self.lam.list_functions(MaxItems=1, Marker=first["NextMarker"])
        self.assertNotEqual(first["Functions"][0]["FunctionName"], second["Functions"][0]["FunctionName"])

    def test_get_function_shows_what_the_template_declares(self):
        got = self.lam.get_function(FunctionName=self.validate)
        c = got["Configuration"]
        self.assertTrue(c["Role"].startswith("arn:aws:iam::"), c["Role"])
        self.assertGreater(c["CodeSize"], -1)
        self.assertRegex(c["LastModified"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
        self.assertEqual(len(c["Layers"]), 1)
        self.assertGreater(c["Layers"][0]["CodeSize"], 0)
        self.assertEqual(c["Architectures"], ["arm64"])
        env = c.get("Environment", {}).get("Variables", {})
        self.assertIn("UPLOAD_BUCKET", env)
        for injected in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_S3_USE_PATH_STYLE"):
            self.assertNotIn(injected, env)
        self.assertEqual(self.lam.get_function_configuration(FunctionName=self.validate)["FunctionArn"], c["FunctionArn"])

    def test_invoke_log_tail(self):
        # An input Validate refuses: the handler logs, the call returns a function error.
        out = self.lam.invoke(FunctionName=self.validate, LogType="Tail", Payload=json.dumps({"bucket": 1}).encode())
        self.assertEqual(out["StatusCode"], 200)
        self.assertEqual(out["FunctionError"], "Unhandled")
        tail = base64.b64decode(out["LogResult"])
        self.assertLessEqual(len(tail), 4096)
        self.assertIn(b"END RequestId: ", tail)
        self.assertIn(b"REPORT RequestId: ", tail)
        self.assertIn(b"Billed Duration: ", tail)
        plain = self.lam.invoke(FunctionName=self.validate, Payload=b"{}")
        self.assertNotIn("LogResult", plain)

    def test_qualifiers(self):
        out = self.lam.invoke(FunctionName=self.validate, Qualifier="$LATEST", Payload=b"{}")
        self.assertEqual(out["ExecutedVersion"], "$LATEST")
        for q in ("prod", "7"):
            err = error_of(self.lam.invoke, FunctionName=self.validate, Qualifier=q, Payload=b"{}")
            self.assertEqual(code(err), "ResourceNotFoundException")
            err = error_of(self.lam.get_function_configuration, FunctionName=self.validate, Qualifier=q)
            self.assertEqual(code(err), "ResourceNotFoundException")

    def test_unknown_function(self):
        err = error_of(self.lam.get_function, FunctionName="no-such-function")
        self.assertEqual((code(err), status(err)), ("ResourceNotFoundException", 404))


PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "ResultPath": "$.r", "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}})
ROLE = "arn:aws:iam::000000000000:role/boto3-sfn"


class TestStepFunctions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = client("stepfunctions")

    def create(self, definition):
        name = unique("sm")
        arn = self.sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)["stateMachineArn"]
        self.addCleanup(self.sfn.delete_state_machine, stateMachineArn=arn)
        return arn

    def wait_done(self, execution_arn, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            d = self.sfn.describe_execution(executionArn=execution_arn)
            if d["status"] != "RUNNING":
                return d
            time.sleep(0.1)
        self.fail("execution %s still running after %ss" % (execution_arn, timeout))

    def test_start_sync_execution_with_inject_host_prefix_false(self):
        # The README's "From boto3": botocore sends StartSyncExecution to
        # "sync-" + the endpoint's host (sync-127.0.0.1), which does not
        # exist locally; Config(inject_host_prefix=False) keeps the host.
        # As on AWS, only an EXPRESS state machine runs synchronously.
        arn = self.sfn.create_state_machine(name=unique("express"), definition=PASS, roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
        self.addCleanup(self.sfn.delete_state_machine, stateMachineArn=arn)
        sync = client("stepfunctions", inject_host_prefix=False)
        urls = []
        sync.meta.events.register("before-send", lambda request, **kwargs: urls.append(request.url))
        out = sync.start_sync_execution(stateMachineArn=arn, input=json.dumps({"in": 1}))
        self.assertEqual(out["status"], "SUCCEEDED")
        self.assertEqual(json.loads(out["output"]), {"in": 1, "r": {"ok": True}})
        self.assertEqual(urllib.parse.urlsplit(urls[0]).netloc, urllib.parse.urlsplit(ENDPOINT).netloc)
        err = error_of(sync.start_sync_execution, stateMachineArn=self.create(PASS))
        self.assertEqual(code(err), "StateMachineTypeNotSupported")

    def test_role_arn_must_be_an_arn(self):
        err = error_of(self.sfn.create_state_machine, name=unique("bad"), definition=PASS, roleArn="not-an-arn")
        self.assertEqual(code(err), "InvalidArn")

    def test_an_application_runs_an_execution(self):
        arn = self.create(PASS)
        ex = self.sfn.start_execution(stateMachineArn=arn, name="first", input=json.dumps({"in": 1}))
        d = self.wait_done(ex["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(json.loads(d["output"]), {"in": 1, "r": {"ok": True}})
        types = [e["type"] for e in self.sfn.get_execution_history(executionArn=ex["executionArn"])["events"]]
        self.assertEqual(types, ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"])
        listed = self.sfn.list_executions(stateMachineArn=arn)["executions"]
        self.assertEqual([e["name"] for e in listed], ["first"])
        # The name of a closed execution cannot be used again, even with the same input.
        err = error_of(self.sfn.start_execution, stateMachineArn=arn, name="first", input=json.dumps({"in": 1}))
        self.assertEqual(code(err), "ExecutionAlreadyExists")

    def test_start_execution_is_idempotent_while_running(self):
        # STANDARD: the same name and input as a running execution returns it;
        # another input is ExecutionAlreadyExists.
        arn = self.create(WAIT)
        ex = self.sfn.start_execution(stateMachineArn=arn, name="once", input=json.dumps({"in": 1}))
        self.addCleanup(self.sfn.stop_execution, executionArn=ex["executionArn"])
        again = self.sfn.start_execution(stateMachineArn=arn, name="once", input=json.dumps({"in": 1}))
        self.assertEqual(again["executionArn"], ex["executionArn"])
        err = error_of(self.sfn.start_execution, stateMachineArn=arn, name="once", input=json.dumps({"in": 2}))
        self.assertEqual(code(err), "ExecutionAlreadyExists")

    def test_stop_execution(self):
        arn = self.create(WAIT)
        ex = self.sfn.start_execution(stateMachineArn=arn)
        self.sfn.stop_execution(executionArn=ex["executionArn"], error="Operator", cause="stopped by the suite")
        d = self.wait_done(ex["executionArn"])
        self.assertEqual((d["status"], d.get("error"), d.get("cause")), ("ABORTED", "Operator", "stopped by the suite"))

    def test_invalid_definition(self):
        err = error_of(self.sfn.create_state_machine, name=unique("x"), definition='{"StartAt":"A","States":{}}', roleArn=ROLE)
        self.assertEqual(code(err), "InvalidDefinition")

    def test_missing_execution(self):
        arn = self.create(PASS)
        missing = arn.replace(":stateMachine:", ":execution:") + ":nope"
        err = error_of(self.sfn.describe_execution, executionArn=missing)
        self.assertEqual(code(err), "ExecutionDoesNotExist")


class TestSNS(unittest.TestCase):
    def test_topic_lifecycle(self):
        sns = client("sns")
        arn = sns.create_topic(Name=unique("topic"))["TopicArn"]
        self.assertIn(arn, [t["TopicArn"] for p in sns.get_paginator("list_topics").paginate() for t in p["Topics"]])
        sub = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="someone@example.com")
        self.assertEqual(sub["SubscriptionArn"], "pending confirmation")
        subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        self.assertEqual([(s["Protocol"], s["Endpoint"]) for s in subs], [("email", "someone@example.com")])
        attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual(attrs["TopicArn"], arn)
        msg = sns.publish(TopicArn=arn, Subject="hello", Message="from boto3", MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})
        self.assertTrue(msg["MessageId"])
        err = error_of(sns.publish, TopicArn=arn, Message="")
        self.assertEqual(code(err), "InvalidParameter")
        sns.delete_topic(TopicArn=arn)
        err = error_of(sns.get_topic_attributes, TopicArn=arn)
        self.assertEqual(code(err), "NotFound")


class TestPipeline(unittest.TestCase):
    """What an application built on imgflow does: upload, wait, read the manifest."""

    def test_upload_gives_variants_and_a_manifest(self):
        s3 = client("s3", s3={"addressing_style": "path"})
        sfn = client("stepfunctions")
        upload, prefix, output = os.environ["IMGFLOW_UPLOAD_BUCKET"], os.environ["IMGFLOW_UPLOAD_PREFIX"], os.environ["IMGFLOW_OUTPUT_BUCKET"]
        key = prefix + unique("boto3") + ".jpg"
        with open(os.environ["IMGFLOW_PHOTO"], "rb") as f:
            s3.put_object(Bucket=upload, Key=key, Body=f.read(), ContentType="image/jpeg")
        deadline = time.time() + 120
        done = None
        while time.time() < deadline and done is None:
            for p in sfn.get_paginator("list_executions").paginate(stateMachineArn=os.environ["IMGFLOW_STATE_MACHINE"]):
                for e in p["executions"]:
                    d = sfn.describe_execution(executionArn=e["executionArn"])
                    if key in d["input"] and d["status"] != "RUNNING":
                        done = d
            time.sleep(0.2)
        self.assertIsNotNone(done, "no finished execution for " + key)
        self.assertEqual(done["status"], "SUCCEEDED", done.get("cause"))
        out = json.loads(done["output"])
        manifest_key = json.dumps(out)
        keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=output) for o in p.get("Contents", [])]
        manifests = [k for k in keys if k.endswith("manifest.json") and key.rsplit("/", 1)[-1] in urllib.parse.unquote(k)]
        self.assertEqual(len(manifests), 1, (manifests, manifest_key))
        manifest = json.loads(s3.get_object(Bucket=output, Key=manifests[0])["Body"].read())
        self.assertEqual(manifest["source"]["key"], key)
        for v in manifest["variants"]:
            head = s3.head_object(Bucket=output, Key=v["key"])
            self.assertEqual(head["ContentType"], v["contentType"])
            self.assertEqual(head["CacheControl"], "public, max-age=31536000, immutable")
        # The original is never modified or deleted.
        self.assertEqual(s3.head_object(Bucket=upload, Key=key)["ContentType"], "image/jpeg")


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore", ResourceWarning)  # botocore's pooled sockets at exit
    print("boto3 %s, botocore %s, endpoint %s" % (boto3.__version__, botocore.__version__, ENDPOINT))
    unittest.main(verbosity=2)
