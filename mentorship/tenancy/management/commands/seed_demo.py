from django.core.management.base import BaseCommand

from mentorship.tenancy.demo import DEMO_PASSWORD, seed_people
from mentorship.tenancy.models import Membership


class Command(BaseCommand):
    help = "Create the demo organizations (idempotent: existing demo data is kept)."

    def handle(self, *args, **options):
        for organization in seed_people():
            members = Membership.all_organizations.filter(organization=organization).count()
            self.stdout.write(f"{organization.name} (/o/{organization.slug}/): {members} members")
        self.stdout.write(self.style.SUCCESS(f"Demo ready; every demo login uses the password {DEMO_PASSWORD!r}."))
