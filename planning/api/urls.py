"""Planning's REST routes: the checks collection (in the shared router, so /api/ lists it) and
the verbs on LPARs and frames (detail routes only, beside the inventory's collections)."""

from rest_framework.routers import SimpleRouter

from planning.api import views

router = SimpleRouter()
router.register("checks", views.CheckViewSet, basename="check")
router.register("evacuation-plans", views.EvacuationPlanViewSet, basename="evacuationplan")

verbs = SimpleRouter()
verbs.register("lpars", views.LparPlanningViewSet, basename="lpar-planning")
verbs.register("frames", views.FramePlanningViewSet, basename="frame-planning")
