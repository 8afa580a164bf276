"""The inventory change a completed migration makes, in one transaction and credited to the
operator who asked: the LPAR on the destination frame with the id the HMC used, its vSCSI/vFC
clients paired with server adapters on the destination VIOS, the source VIOS's server adapters
removed, and each vFC client's other WWPN noted as the one logged in now. The pair's order
stays as the HMC keeps it (`wwpns`), so a sync right after the migration sees no drift."""

from django.core.exceptions import ValidationError
from django.db import transaction

from inventory.choices import ProcMode, VirtualAdapterKind, VirtualAdapterRole
from inventory.history import change_author
from inventory.models import Lpar, VirtualAdapter
from inventory.services import object_save, virtual_adapter_save
from migrations_app.lpm.options import STORAGE_KINDS


def migration_inventory_apply(*, job, lpar_id: int | None) -> list[str]:
    """Move the job's LPAR in the inventory; returns what changed, a sentence each."""
    changes: list[str] = []
    with (
        transaction.atomic(),
        change_author(user=job.requested_by, request_id=f"migration-{job.pk}"),
    ):
        lpar = Lpar.objects.select_for_update().get(pk=job.lpar_id)
        destination = job.destination_frame
        source_name = lpar.frame.name
        mappings = {m["client_slot"]: m for m in job.storage_mappings}
        clients = list(
            lpar.virtual_adapters.filter(kind__in=STORAGE_KINDS, role=VirtualAdapterRole.CLIENT)
            .select_related("remote_lpar")
            .order_by("slot")
        )
        old_servers: dict[int, VirtualAdapter] = {}
        for client in clients:
            server = VirtualAdapter.objects.filter(
                lpar_id=client.remote_lpar_id, slot=client.remote_slot, remote_lpar=lpar
            ).first()
            if server is not None:
                old_servers[client.pk] = server
                changes.append(
                    f"Removed server adapter slot {server.slot} of {client.remote_lpar.name} on "
                    f"{source_name}."
                )
                server.delete()
        new_id = lpar_id or job.dest_lpar_id or lpar.lpar_id
        lpar.frame, lpar.lpar_id = destination, new_id
        if lpar.proc_mode == ProcMode.SHARED:
            lpar.shared_pool = destination.shared_pools.filter(name=job.shared_pool_name).first()
        object_save(instance=lpar)
        changes.append(f"{lpar.name} is on {destination.name} as LPAR id {new_id}.")
        for client in clients:
            logged_in = None
            if client.kind == VirtualAdapterKind.VFC:
                pair = list(client.wwpns.order_by("position").values_list("value", flat=True))
                if len(pair) == 2:
                    client.wwpn_logged_in = 2 if client.wwpn_logged_in == 1 else 1
                    logged_in = pair[client.wwpn_logged_in - 1]
            changes.append(_client_move(lpar, client, mappings, old_servers.get(client.pk)))
            if logged_in:
                changes.append(
                    f"vFC slot {client.slot}: WWPN {logged_in} is logged in now (on "
                    f"{destination.name}); the pair keeps its order."
                )
    return changes


def _client_move(
    lpar: Lpar,
    client: VirtualAdapter,
    mappings: dict,
    old_server: VirtualAdapter | None,
) -> str:
    """Pair the client with its server adapter on the destination VIOS."""
    mapping = mappings.get(client.slot)
    if mapping is None:
        client.remote_lpar, client.remote_slot = None, None
        virtual_adapter_save(adapter=client)
        return f"Client slot {client.slot} has no VIOS side on the destination."
    vios = Lpar.objects.get(pk=mapping["vios"])
    slot = mapping["vios_slot"]
    server = VirtualAdapter.objects.filter(lpar=vios, slot=slot).first()
    if server is not None and server.remote_lpar_id not in (None, lpar.pk):
        raise ValidationError(
            f"Slot {slot} of {vios.name} holds an adapter of {server.remote_lpar or 'nobody'}."
        )
    if server is None:
        server = VirtualAdapter(
            lpar=vios, slot=slot, kind=client.kind, role=VirtualAdapterRole.SERVER
        )
    server.remote_lpar, server.remote_slot = lpar, client.slot
    if client.kind == VirtualAdapterKind.VSCSI and old_server is not None:
        server.backing_devices = list(old_server.backing_devices)
    virtual_adapter_save(adapter=server)
    client.remote_lpar, client.remote_slot = vios, slot
    virtual_adapter_save(adapter=client)
    return f"Client slot {client.slot} paired with {vios.name} slot {slot}."
