"""The upload handler of the file endpoint: a size limit enforced while streaming.

Django's default handlers keep up to FILE_UPLOAD_MAX_MEMORY_SIZE in memory
and write the rest to disk without any limit. This one writes every upload to
a temporary file and stops reading as soon as the body or a file passes
MAX_UPLOAD_MB, so an oversized upload costs neither memory nor disk and is
answered 413 instead of being read to the end.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from .exceptions import FileTooLarge

# Multipart boundaries, part headers and a few small form fields.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def upload_limit_bytes() -> int:
    return settings.MAX_UPLOAD_MB * 1024 * 1024


def too_large(limit: int) -> FileTooLarge:
    return FileTooLarge(f"Files may be up to {settings.MAX_UPLOAD_MB} MB.",
                        errors={"file": [f"Larger than {limit} bytes."]})


class LimitedUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.limit = upload_limit_bytes()
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.limit + MULTIPART_OVERHEAD_BYTES:
            raise too_large(self.limit)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()
            raise too_large(self.limit)
        return super().receive_data_chunk(raw_data, start)
