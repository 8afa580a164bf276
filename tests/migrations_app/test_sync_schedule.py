"""Periodic HMC syncs: beat asks every minute which HMCs are due; each HMC sets its interval."""

from datetime import timedelta

import pytest
from django.utils import timezone

from migrations_app.models import HmcSync, HmcSyncSchedule
from migrations_app.services import hmc_syncs_due
from tests.factories import HmcFactory

pytestmark = pytest.mark.django_db


def test_a_due_hmc_gets_one_sync_and_not_another_until_its_interval_passes():
    hmc = HmcFactory()
    HmcSyncSchedule.objects.create(hmc=hmc, interval_minutes=60)

    [first] = hmc_syncs_due()
    assert first.hmc == hmc and first.state == HmcSync.State.QUEUED
    assert hmc_syncs_due() == []  # it just started one
    assert hmc.syncs.count() == 1

    HmcSync.objects.filter(pk=first.pk).update(
        state=HmcSync.State.SUCCEEDED, created=timezone.now() - timedelta(minutes=30)
    )
    assert hmc_syncs_due() == []

    later = timezone.now() + timedelta(minutes=31)
    [second] = hmc_syncs_due(now=later)
    assert second.pk != first.pk and hmc.syncs.count() == 2


def test_disabled_schedules_start_nothing():
    HmcSyncSchedule.objects.create(hmc=HmcFactory(), interval_minutes=1, enabled=False)
    assert hmc_syncs_due() == []
    assert not HmcSync.objects.exists()
