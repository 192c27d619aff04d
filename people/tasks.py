from celery import shared_task

from people import services
from people.models import OrgImport


@shared_task(acks_late=True)
def org_import_run(import_id: int) -> str:
    record = OrgImport.objects.get(pk=import_id)
    return services.org_import_execute(record=record).state
