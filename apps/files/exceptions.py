"""Errors of the files app. Each has a stable code (docs/files.md lists them)."""

from apps.core.exceptions import ApplicationError, Conflict, NotFound, ValidationFailed


class FileTypeNotAllowed(ApplicationError):
    code = "ERROR_FILE_TYPE_NOT_ALLOWED"
    status = 415
    title = "File type not allowed"


class FileContentMismatch(ApplicationError):
    code = "ERROR_FILE_CONTENT_MISMATCH"
    status = 415
    title = "File content does not match its extension"


class FileTooLarge(ApplicationError):
    code = "ERROR_FILE_TOO_LARGE"
    status = 413
    title = "File too large"


class FileEmpty(ValidationFailed):
    code = "ERROR_FILE_EMPTY"
    title = "File is empty"


class StorageQuotaExceeded(ApplicationError):
    code = "ERROR_STORAGE_QUOTA_EXCEEDED"
    status = 413
    title = "Storage quota exceeded"


class FileNotFound(NotFound):
    code = "ERROR_FILE_NOT_FOUND"
    title = "File not found"


class FileNotProcessed(Conflict):
    code = "ERROR_FILE_NOT_PROCESSED"
    title = "File not processed yet"


class FileNotRetryable(Conflict):
    code = "ERROR_FILE_NOT_RETRYABLE"
    title = "Only a failed file can be extracted again"


class FileHasNoTable(ValidationFailed):
    code = "ERROR_FILE_HAS_NO_TABLE"
    title = "File has no table to import"


class ImportJobNotFound(NotFound):
    code = "ERROR_IMPORT_JOB_NOT_FOUND"
    title = "Import job not found"


class ImportMappingInvalid(ValidationFailed):
    code = "ERROR_IMPORT_MAPPING_INVALID"
    title = "Import mapping invalid"


class ImportRowsRefused(ApplicationError):
    """The first rows of an import were all refused: a wrong table or mapping."""

    code = "ERROR_IMPORT_ROWS_REFUSED"
    status = 422
    title = "Every row was refused"


class FileBlobMissing(NotFound):
    code = "ERROR_FILE_BLOB_MISSING"
    title = "Stored file missing"


class FileStorageUnavailable(ApplicationError):
    code = "ERROR_FILE_STORAGE_UNAVAILABLE"
    status = 503
    title = "File storage unavailable"
