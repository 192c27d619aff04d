"""Uploads are cut off at ORG_CSV_MAX_BYTES while they stream in.

The org CSV is the service's only upload. Django would otherwise spool any size to a temporary
file before the view could look at it; this handler refuses a request whose declared length is
already too big, and stops reading as soon as a file passes the limit (a client may lie about
the length or send chunked data). The refusal is a 400 both for Django (RequestDataTooBig) and
for the API (a DRF ValidationError on `file`, the same answer the upload view gives).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from rest_framework.exceptions import ValidationError

# Room for the multipart boundaries and the other form fields around the file.
ENVELOPE_BYTES = 64 * 1024


def limit() -> int:
    return int(settings.ORG_CSV_MAX_BYTES)


class UploadTooLarge(RequestDataTooBig, ValidationError):
    def __init__(self):
        message = f"The file is larger than {limit()} bytes."
        ValidationError.__init__(self, {"file": [message]})
        RequestDataTooBig.__init__(self, message)


class SizeLimitedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > limit() + ENVELOPE_BYTES:
            raise UploadTooLarge()
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > limit():
            raise UploadTooLarge()
        return raw_data

    def file_complete(self, file_size):
        return None
