from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.analytics import admin as analytics_admin
from apps.analytics.metrics import metrics_export
from apps.core import handlers
from apps.core.scrape import metrics_token_required
from apps.core.views import ReadinessView, liveness

api_v1 = [
    path("", include("apps.accounts.api.urls")),
    path("airtable/", include("apps.airtable.api.urls")),
    path("", include("apps.files.api.urls")),
    path("mcp/", include("apps.mcp.api.urls")),
    path("chat/", include("apps.chat.api.urls")),
    path("analytics/", include("apps.analytics.api.urls")),
    path("", include("apps.workflows.api.urls")),
]

urlpatterns = [
    path("health", liveness, name="health"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("api/health", ReadinessView.as_view(), name="api-health"),
    path("metrics", metrics_token_required(metrics_export), name="prometheus-django-metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    path("admin/analytics/", include(analytics_admin.urlpatterns)),
    path("admin/", admin.site.urls),
    path("", include("apps.accounts.urls")),
    path("airtable/", include("apps.airtable.urls")),
    path("files/", include("apps.files.urls")),
    path("ai-clients/", include("apps.mcp.urls")),
    path("", include("apps.mcp.oauth_urls")),
    path("chat/", include("apps.chat.urls")),
    path("workflows/", include("apps.workflows.urls")),
    path("analytics/", include("apps.analytics.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/airtable/", include("apps.sandbox.urls")))


handler400 = handlers.bad_request
handler403 = handlers.permission_denied
handler404 = handlers.page_not_found
handler500 = handlers.server_error
