from django.urls import path

from . import views

urlpatterns = [
    path("", views.chat, name="chat"),
    path("settings", views.chat_settings, name="chat-settings"),
    path("<uuid:conversation_id>/", views.chat, name="chat-conversation"),
]
