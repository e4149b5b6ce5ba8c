from apps.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied


class InvalidCredentials(ApplicationError):
    code = "ERROR_INVALID_CREDENTIALS"
    status = 401
    title = "Invalid email or password"


class EmailTaken(Conflict):
    code = "ERROR_EMAIL_TAKEN"
    title = "Email address already registered"


class ApiKeyNotFound(NotFound):
    code = "ERROR_API_KEY_NOT_FOUND"
    title = "API key not found"


class MembershipExists(Conflict):
    code = "ERROR_MEMBERSHIP_EXISTS"
    title = "Already a member"


class AuthenticationRequired(ApplicationError):
    code = "ERROR_AUTHENTICATION_REQUIRED"
    status = 401
    title = "Authentication required"


class CredentialInvalid(ApplicationError):
    code = "ERROR_AUTHENTICATION_FAILED"
    status = 401
    title = "Authentication failed"


class MultipleCredentials(ApplicationError):
    """Two credentials in one request that name different callers (RFC 6750 § 2: one
    method per request); which one was meant cannot be guessed."""

    code = "ERROR_MULTIPLE_CREDENTIALS"
    status = 400
    title = "More than one credential"
class MemberNotFound(NotFound):
    code = "ERROR_MEMBER_NOT_FOUND"
    title = "Member not found"


class LastOwner(Conflict):
    code = "ERROR_LAST_OWNER"
    title = "A team keeps at least one owner"


class InvitationNotFound(NotFound):
    code = "ERROR_INVITATION_NOT_FOUND"
    title = "Invitation not found"


class SignupLinkInvalid(ApplicationError):
    code = "ERROR_SIGNUP_LINK_INVALID"
    status = 400
    title = "This sign-up link no longer works"


class InvitationInvalid(ApplicationError):
    code = "ERROR_INVITATION_INVALID"
    status = 400
    title = "This invitation link no longer works"


class InvitationForOther(PermissionDenied):
    code = "ERROR_INVITATION_FOR_OTHER"
    title = "This invitation is for another email address"


class PersonalCredentialRequired(PermissionDenied):
    code = "ERROR_PERSONAL_CREDENTIAL_REQUIRED"
    title = "Sign in as yourself to do this; an API key acts only in its team"
