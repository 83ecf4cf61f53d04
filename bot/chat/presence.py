"""Staff presence: which case officers can take a chat right now, in one process or across instances over Redis.

A case officer is *available* while at least one of their staff console sockets (``/ws/staff``) is open and
they have not switched themselves to *away* in the console. The staff socket opens a presence session
(:meth:`Presence.signed_in`) for as long as it lives; the console's switch calls :meth:`Presence.set_away`.

The embedded profile keeps presence in this process (:class:`Presence`). With ``REDIS_URL`` (production
profile, several web app instances) :class:`RedisPresence` keeps it in Redis: each open socket is a member
of a sorted set whose score is the time its entry expires; the socket refreshes it every
:data:`REFRESH_SECONDS`, so the socket of an instance that died stops counting after :data:`TTL_SECONDS`.

Who asks: the gateway, before each resident message goes to Rasa (``metadata.staff_available``, read by
the handoff action), the staff queue page (who is available), and the background loop that looks for
chats nobody takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

TTL_SECONDS = 90
"""A socket entry in Redis counts this long after its last refresh (three missed refreshes)."""
REFRESH_SECONDS = 30
"""How often an open staff socket refreshes its entry in Redis."""

Changed = Callable[[], Awaitable[None]]
"""Called after someone's presence changed (the staff queue pages refresh the list of available staff)."""


@dataclass
class Seat:
    """One open staff socket of a staff member (what :meth:`Presence.join` gives and :meth:`Presence.leave` takes)."""

    member_id: int
    socket_id: str
    refresher: asyncio.Task[None] | None = None


class Presence:
    """Presence of staff members in this process (the embedded profile: one web app instance).

    ``changed`` is awaited after every change (sign in, last socket closed, away switched).
    """

    def __init__(self, changed: Changed | None = None) -> None:
        self._sockets: dict[int, set[str]] = defaultdict(set)
        self._away: set[int] = set()
        self._changed = changed

    async def _notify(self) -> None:
        if self._changed is not None:
            await self._changed()

    # -- storage (overridden by RedisPresence) -----------------------------------------------------

    async def _add(self, member_id: int, socket_id: str) -> None:
        self._sockets[member_id].add(socket_id)

    async def _remove(self, member_id: int, socket_id: str) -> None:
        self._sockets[member_id].discard(socket_id)
        if not self._sockets[member_id]:
            del self._sockets[member_id]

    async def _refresh(self, member_id: int, socket_id: str) -> None:
        """Nothing to refresh in one process: a closed socket removes itself."""

    async def signed_in_ids(self) -> set[int]:
        """Ids of staff members with at least one open console socket (away or not)."""
        return set(self._sockets)

    async def away_ids(self) -> set[int]:
        """Ids of staff members who switched themselves to away."""
        return set(self._away)

    async def _store_away(self, member_id: int, away: bool) -> None:
        if away:
            self._away.add(member_id)
        else:
            self._away.discard(member_id)

    # -- the interface -------------------------------------------------------------------------------

    async def set_away(self, member_id: int, away: bool) -> None:
        """Switch a staff member to away (``True``) or available (``False``); kept until switched back."""
        await self._store_away(member_id, away)
        await self._notify()

    async def is_away(self, member_id: int) -> bool:
        """True when the staff member switched themselves to away."""
        return member_id in await self.away_ids()

    async def available_ids(self) -> set[int]:
        """Ids of staff members who can take a chat now: signed in with a live socket and not away."""
        return await self.signed_in_ids() - await self.away_ids()

    async def anyone_available(self) -> bool:
        """True when at least one case officer can take a chat now.

        Errors of the presence store count as "nobody": the resident is then asked how to reach them,
        which is never a false promise.
        """
        try:
            return bool(await self.available_ids())
        except Exception:
            logger.warning("presence: could not read who is available; taking it as nobody", exc_info=True)
            return False

    async def join(self, member_id: int) -> Seat:
        """Count ``member_id`` as signed in through one more open staff socket; give the seat to :meth:`leave`."""
        seat = Seat(member_id, uuid.uuid4().hex)
        await self._add(member_id, seat.socket_id)
        seat.refresher = asyncio.get_running_loop().create_task(self._keep_alive(member_id, seat.socket_id))
        await self._notify()
        return seat

    async def leave(self, seat: Seat) -> None:
        """The socket of ``seat`` closed: it no longer counts (the member may have others open).

        Finishes even when the caller is cancelled meanwhile (aiohttp cancels a socket handler whose
        connection is lost), so a closed socket never keeps counting as present.
        """
        if seat.refresher is not None:
            seat.refresher.cancel()
        await asyncio.shield(self._leave(seat))

    async def _leave(self, seat: Seat) -> None:
        await self._remove(seat.member_id, seat.socket_id)
        await self._notify()

    @contextlib.asynccontextmanager
    async def signed_in(self, member_id: int) -> AsyncIterator[None]:
        """Count ``member_id`` as signed in while the block runs (:meth:`join`, then :meth:`leave`)."""
        seat = await self.join(member_id)
        try:
            yield
        finally:
            await self.leave(seat)

    async def _keep_alive(self, member_id: int, socket_id: str) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self._refresh(member_id, socket_id)
            except Exception:
                logger.warning("presence: refresh failed, trying again", exc_info=True)

    async def close(self) -> None:
        """Release what the presence store holds (nothing in one process)."""


SOCKETS_KEY = "kommun:presence:sockets"
"""Redis sorted set: members ``<staff id>:<socket id>``, score = time (epoch seconds) the entry expires."""
AWAY_KEY = "kommun:presence:away"
"""Redis set of the ids of staff members who switched themselves to away."""


class RedisPresence(Presence):
    """Presence shared by every web app instance through Redis (production profile).

    Raises (from its methods) ``redis.exceptions.RedisError`` when Redis cannot be reached;
    :meth:`anyone_available` turns that into "nobody available".
    """

    def __init__(self, url: str, changed: Changed | None = None) -> None:
        super().__init__(changed)
        import redis.asyncio as redis_asyncio

        self._redis: Any = redis_asyncio.from_url(url)

    async def _add(self, member_id: int, socket_id: str) -> None:
        await self._redis.zadd(SOCKETS_KEY, {f"{member_id}:{socket_id}": time.time() + TTL_SECONDS})

    async def _refresh(self, member_id: int, socket_id: str) -> None:
        await self._add(member_id, socket_id)

    async def _remove(self, member_id: int, socket_id: str) -> None:
        await self._redis.zrem(SOCKETS_KEY, f"{member_id}:{socket_id}")

    async def signed_in_ids(self) -> set[int]:
        """Ids of staff members with a socket entry that has not expired, in any instance."""
        now = time.time()
        await self._redis.zremrangebyscore(SOCKETS_KEY, "-inf", now)
        members = await self._redis.zrangebyscore(SOCKETS_KEY, now, "+inf")
        return {int(member.decode("ascii").partition(":")[0]) for member in members}

    async def away_ids(self) -> set[int]:
        """Ids of staff members switched to away, in any instance."""
        return {int(member) for member in await self._redis.smembers(AWAY_KEY)}

    async def _store_away(self, member_id: int, away: bool) -> None:
        if away:
            await self._redis.sadd(AWAY_KEY, member_id)
        else:
            await self._redis.srem(AWAY_KEY, member_id)

    async def close(self) -> None:
        """Close the Redis connections."""
        await self._redis.close()
        await self._redis.connection_pool.disconnect()
