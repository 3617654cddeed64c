import aiohttp

from bench.phone import CountingTwilio


async def _send(fake: CountingTwilio, to: str, body: str) -> int:
    auth = aiohttp.BasicAuth(fake.account_sid, fake.auth_token)
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    form = {"To": to, "From": "+441134960000", "Body": body}
    async with aiohttp.ClientSession() as http, http.post(url, data=form, auth=auth) as response:
        return response.status


async def test_counting_twilio_files_accepted_replies_by_recipient_and_wakes_the_waiter():
    fake = CountingTwilio()
    await fake.start()
    try:
        assert await _send(fake, "+447700900001", "Hello Sarah") == 201
        assert await _send(fake, "+447700900002", "Hello Tom") == 201
        new = await fake.wait_beyond("+447700900001", 0, timeout=5)
        assert [a.body for a in new] == ["Hello Sarah"]
        assert fake.arrivals_between(0.0, float("inf")) == 2
    finally:
        await fake.stop()


async def test_counting_twilio_does_not_count_a_send_with_wrong_credentials():
    fake = CountingTwilio()
    await fake.start()
    try:
        url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
        form = {"To": "+447700900001", "Body": "x"}
        async with aiohttp.ClientSession() as http, http.post(url, data=form) as response:
            assert response.status == 401
        assert await fake.wait_beyond("+447700900001", 0, timeout=0.2) == []
    finally:
        await fake.stop()
