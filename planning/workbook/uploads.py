"""The upload handler that keeps an oversized workbook from being spooled at all: it counts each
uploaded file's bytes as the request arrives; past WORKBOOK_MAX_UPLOAD_MB the rest is dropped
(not written to a temporary file) and the file arrives as `TooLargeUpload`, empty but with its
real size, which the upload form and serializer refuse with the limit in words."""

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

MB = 2**20


class TooLargeUpload(UploadedFile):
    """What is left of an upload past the limit: its name and real size, no content."""

    def __init__(self, name: str, size: int, content_type: str | None):
        super().__init__(io.BytesIO(), name=name, content_type=content_type, size=size)


class UploadLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: passes chunks on to the others until the limit."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.size += len(raw_data)
        if self.size > settings.WORKBOOK_MAX_UPLOAD_MB * MB:
            return None  # the handlers after this one never see it
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.size > settings.WORKBOOK_MAX_UPLOAD_MB * MB:
            return TooLargeUpload(self.file_name, self.size, self.content_type)
        return None
