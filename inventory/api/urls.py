"""The inventory's collections, registered into the project's shared API router."""

from rest_framework.routers import SimpleRouter

from inventory.api import views

router = SimpleRouter()
router.register("hmcs", views.HmcViewSet)
router.register("frames", views.FrameViewSet)
router.register("drawers", views.DrawerViewSet)
router.register("slots", views.SlotViewSet)
router.register("adapters", views.AdapterViewSet)
router.register("ports", views.PortViewSet)
router.register("vlans", views.VlanViewSet)
router.register("fabrics", views.FabricViewSet)
router.register("storage-ports", views.StoragePortViewSet)
router.register("shared-pools", views.SharedProcessorPoolViewSet)
router.register("lpars", views.LparViewSet)
router.register("virtual-adapters", views.VirtualAdapterViewSet)
router.register("wwpns", views.WwpnViewSet)
