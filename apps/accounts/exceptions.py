from apps.core.exceptions import ApplicationError, Conflict, NotFound


class InvalidCredentials(ApplicationError):
    code = "ERROR_INVALID_CREDENTIALS"
    status = 401
    title = "Invalid e-mail or password"


class EmailTaken(Conflict):
    code = "ERROR_EMAIL_TAKEN"
    title = "E-mail address already registered"


class ApiKeyNotFound(NotFound):
    code = "ERROR_API_KEY_NOT_FOUND"
    title = "API key not found"


class MembershipExists(Conflict):
    code = "ERROR_MEMBERSHIP_EXISTS"
    title = "Already a member"
