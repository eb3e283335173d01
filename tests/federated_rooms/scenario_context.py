"""What one scenario run (one scenario in one direction) works with: the direction, fresh users
named after the run so no two runs share a user or a room, the clients to close afterwards, and
notes (timings, observed server behaviour) printed under the result line."""

from dataclasses import dataclass, field

from homeserver import Homeserver
from pairs import Direction
from participant import PASSWORD, Participant, store_root


@dataclass
class ScenarioContext:
    scenario: str
    direction: Direction
    workdir: str
    participants: list[Participant] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def host(self) -> Homeserver:
        return self.direction.host

    @property
    def joiner(self) -> Homeserver:
        return self.direction.joiner

    def localpart(self, role: str) -> str:
        return f"{role}_{self.scenario}_{self.direction.tag}".lower()

    async def new_user(self, server: Homeserver, role: str) -> Participant:
        """Registers a user for `role` on `server` and logs in its first device, `<ROLE>1`."""
        user_id = await server.register_user(self.localpart(role), PASSWORD)
        return await self.log_in(server, user_id, f"{role.upper()}1")

    async def new_device(self, of: Participant, number: int) -> Participant:
        """Logs in another device of `of`'s user, `<ROLE><number>`."""
        role = of.device_id.rstrip("0123456789")
        return await self.log_in(of.server, of.user_id, f"{role}{number}")

    async def log_in(self, server: Homeserver, user_id: str, device_id: str) -> Participant:
        participant = await Participant.log_in(server, user_id, device_id, f"{device_id} ({self.scenario})",
                                               store_root(self.workdir))
        self.participants.append(participant)
        return participant

    def note(self, text: str) -> None:
        self.notes.append(text)

    async def close(self) -> None:
        """Closes the clients and adds the incidents they ran into to the notes, once each with a count."""
        incidents: dict[str, int] = {}
        for participant in self.participants:
            for incident in participant.incidents:
                incidents[incident] = incidents.get(incident, 0) + 1
            await participant.close()
        self.notes += [f"{text} ({count}x)" for text, count in incidents.items()]

