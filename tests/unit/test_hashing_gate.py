"""Password hashing a few at a time: each argon2id hash holds 64 MiB while it runs."""

import asyncio

from webui.auth.passwords import HashingBusy, HashingGate, verify_password


def test_no_more_than_two_hashes_run_at_once_and_the_rest_wait():
    running, most = 0, 0

    async def login(gate: HashingGate) -> None:
        nonlocal running, most
        async with gate.turn():
            running += 1
            most = max(most, running)
            await asyncio.to_thread(verify_password, None, "wrong")  # the real hash, in a thread
            running -= 1

    async def main() -> None:
        gate = HashingGate(slots=2, wait=30)
        await asyncio.gather(*(login(gate) for _ in range(8)))

    asyncio.run(main())
    assert most == 2


def test_a_login_that_waits_too_long_is_told_to_try_again():
    async def main() -> list[object]:
        gate = HashingGate(slots=1, wait=0.05)

        async def slow() -> None:
            async with gate.turn():
                await asyncio.sleep(0.5)

        return await asyncio.gather(slow(), slow(), return_exceptions=True)

    results = asyncio.run(main())
    assert results[0] is None and isinstance(results[1], HashingBusy)
