from django.urls import path

from programs import calendar_views, notification_views

# The member's notifications and calendar. Mounted under /o/<slug:org_slug>/; the feed itself, which calendar
# clients fetch without a login, is at the top level (mentorship/urls.py).
urlpatterns = [
    path("notifications/", notification_views.notification_list, name="notification_list"),
    path("notifications/read-all/", notification_views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:notification_id>/read/", notification_views.notification_read, name="notification_read"),
    path("notifications/preferences/", notification_views.notification_preferences, name="notification_preferences"),
    path("calendar/", calendar_views.calendar_settings, name="calendar_settings"),
    path("sessions/<int:session_id>/calendar.ics", calendar_views.session_calendar, name="session_calendar"),
]
