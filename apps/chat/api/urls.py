from django.urls import path

from . import views

urlpatterns = [
    path("conversations", views.ConversationListView.as_view(), name="api-chat-conversations"),
    path("conversations/<str:conversation_id>", views.ConversationDetailView.as_view(),
         name="api-chat-conversation"),
    path("conversations/<str:conversation_id>/messages", views.MessageCreateView.as_view(),
         name="api-chat-messages"),
    path("conversations/<str:conversation_id>/stop", views.ConversationStopView.as_view(),
         name="api-chat-stop"),
    path("settings", views.ChatSettingsView.as_view(), name="api-chat-settings"),
    path("usage", views.UsageView.as_view(), name="api-chat-usage"),
]
