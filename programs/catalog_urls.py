urlpatterns = []  # member pages: opportunity map, apply, withdraw; admin application review
