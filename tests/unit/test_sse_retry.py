"""Each stream tells its browser a reconnection delay of its own, so a restarted dashboard is
not reconnected to by every page and wall display in the same instant."""

import re

from webui.live.sse import RETRY_MS, retry_frame


def test_each_stream_draws_its_own_reconnection_delay():
    delays = []
    for _ in range(200):
        frame = retry_frame()
        match = re.fullmatch(rb"retry: (\d+)\n\n", frame)
        assert match, frame  # a field alone: it sets the delay and dispatches no event
        delays.append(int(match.group(1)))
    assert all(RETRY_MS[0] <= d <= RETRY_MS[1] for d in delays)
    assert len(set(delays)) > 50  # spread out, not one value for everyone
