urlpatterns = []  # program admin pages: programs, cohorts, skills, stages, targets
