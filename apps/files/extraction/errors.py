"""Why an extraction failed, as stable codes the API reports in `error.code`."""

from __future__ import annotations

CORRUPT = "ERROR_FILE_CORRUPT"
ENCRYPTED = "ERROR_FILE_ENCRYPTED"
ENCODING_UNKNOWN = "ERROR_FILE_ENCODING_UNKNOWN"
FORMAT_UNSUPPORTED = "ERROR_FILE_FORMAT_UNSUPPORTED"
TOO_COMPLEX = "ERROR_FILE_TOO_COMPLEX"
ZIP_BOMB = "ERROR_FILE_ZIP_BOMB"
TIMEOUT = "ERROR_FILE_EXTRACTION_TIMEOUT"
RESOURCE_LIMIT = "ERROR_FILE_EXTRACTION_RESOURCE_LIMIT"
EXTRACTION_FAILED = "ERROR_FILE_EXTRACTION_FAILED"
STORAGE_UNAVAILABLE = "ERROR_FILE_STORAGE_UNAVAILABLE"


class ExtractionFailure(Exception):
    """A document that can't be extracted, and the reason a user can act on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
