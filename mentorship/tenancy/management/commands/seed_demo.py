from django.core.management.base import BaseCommand

from matching.demo import seed_matching
from mentorship.tenancy.demo import DEMO_PASSWORD, seed_people
from mentorship.tenancy.models import Membership
from mentorship.tenancy.scope import tenant_scope
from programs.demo import seed_programs
from programs.demo_workspace import seed_workspace
from programs.models import Application, MentoringSession, Mentorship, Program


class Command(BaseCommand):
    help = "Create the demo organizations (idempotent: existing demo data is kept)."

    def handle(self, *args, **options):
        organizations = seed_people()
        seed_programs()  # skips an organization that already has programs
        seed_matching()  # skips a cohort that already has a match run
        seed_workspace()  # after the matches: skips programs that exist and cohorts that have sessions
        for organization in organizations:
            members = Membership.all_organizations.filter(organization=organization).count()
            with tenant_scope(organization):
                programs, applications = Program.objects.count(), Application.objects.count()
                mentorships = Mentorship.objects.count()
                sessions = MentoringSession.objects.count()
            self.stdout.write(
                f"{organization.name} (/o/{organization.slug}/): {members} members, {programs} programs, "
                f"{applications} applications, {mentorships} mentorships, {sessions} sessions"
            )
        self.stdout.write(self.style.SUCCESS(f"Demo ready; every demo login uses the password {DEMO_PASSWORD!r}."))
