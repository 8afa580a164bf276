"""The execution side's REST routes, registered into the project's shared router; the HMC verbs
sit beside the inventory's HMC collection."""

from rest_framework.routers import SimpleRouter

from migrations_app.api import views
from migrations_app.readiness import api as readiness
from migrations_app.windows.api import ChangeWindowViewSet

router = SimpleRouter()
router.register("hmc-syncs", views.HmcSyncViewSet)
router.register("drift-items", views.DriftItemViewSet)
router.register("lpar-create-jobs", views.LparCreateJobViewSet)
router.register("migrations", views.MigrationViewSet)
router.register("migration-batches", views.MigrationBatchViewSet)
router.register("readiness-runs", readiness.ReadinessRunViewSet)
router.register("readiness-results", readiness.ReadinessResultViewSet)
router.register("change-windows", ChangeWindowViewSet)

verbs = SimpleRouter()
verbs.register("hmcs", views.HmcVerbViewSet, basename="hmc-verbs")
verbs.register("lpars", views.LparVerbViewSet, basename="lpar-hmc-verbs")
