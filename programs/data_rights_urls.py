from django.urls import path

from programs.views import data_rights

# Mounted under /o/<slug:org_slug>/ by programs/urls.py.
urlpatterns = [
    path("account/my-data/", data_rights.my_data, name="my_data"),
    path("account/my-data.json", data_rights.my_data_download, name="my_data_download"),
    path("admin/members/<int:membership_id>/erase/", data_rights.member_erase, name="member_erase"),
]
