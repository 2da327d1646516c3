"""Survey comments that follow the planted story, written from their own random stream.

What a customer writes follows what happened to them: a missed order split by the struggling
site reads "came in two parts", a late one "arrived late", a call in the queue pushed on handle
time "had to call twice" or "rushed off the phone"; OTIF orders and good calls mostly get
praise or nothing. Whether a response has a comment, and its words, come from ``rng`` alone
(a stream of their own), so every other generated value stays the same whatever is written.
"""

from __future__ import annotations

import numpy as np
import polars as pl

LATE = (
    "Delivery arrived late", "Order came {n} days late", "Late again.", "Took ages to arrive",
    "the delivery was late and nobody told us",
    "Still waiting, {n} days past the date we asked for",
    "delayed without any notice", "arrived a week after the date we needed it",
    "Delivery was delayed twice", "we waited {n} days for this", "LATE!!!", "Missed the date again",
    "our customer was furious, the goods came late", "overdue by {n} days", "delivery took forever",
    "Very slow delivery this time", "Shipment delayed, we had to postpone the job",
    "delivered days after the requested date", "came too late for the job", "arived late",
    "delivery dealyed again", "it was verry late", "Not on time, as usual",
)  # fmt: skip
SPLIT = (
    "Order came in two deliveries", "Got it in two parts, the second part a week later",
    "split delivery again, why?", "two shipments for one order", "the rest came days later",
    "Half arrived Monday, the rest arrived the week after", "received in bits and pieces",
    "partial delivery, rest of the order came later",
    "why split my order into separate deliveries?",
    "second half of the order turned up late", "two boxes, two different days",
    "piecemeal deliveries are a pain for our warehouse",
)  # fmt: skip
INCOMPLETE = (
    "Order incomplete", "items missing from the order", "only got half the order",
    "Not everything arrived", "some lines were short shipped", "only received {n} of {m} units",
    "still missing part of my order", "Backorder again on a basic item",
    "out of stock but nobody told us", "wrong quantity delivered", "recieved only part of it",
)  # fmt: skip
DAMAGED = (
    "two boxes arrived damaged", "Goods were damaged", "packaging crushed",
    "items broken on arrival", "dented cans", "damage to the pallet",
    "poorly packed, one item smashed", "dammaged box",
)  # fmt: skip
REPEAT = (
    "Had to call twice about the same issue", "I called again because nothing happened",
    "third call about this order", "nobody called back", "Had to chase three times",
    "still not resolved after two calls", "I keep having to explain everything again",
    "called back next day, same problem", "Second call this week for the same thing",
    "no one got back to me as promised", "had to call 3 times", "Had to cal twice",
)  # fmt: skip
RUSHED = (
    "Agent rushed me off the phone", "felt rushed, problem not fixed", "the call was cut off",
    "they hung up on me", "the agent was in a hurry and didn't listen",
    "seemed to want to get rid of me", "Rude and rushed", "quick call but nothing solved",
)  # fmt: skip
HOLD = (
    "Long wait on the line", "{n} minutes on hold", "waited on hold forever",
    "took ages to get through", "the queue was very long",
)  # fmt: skip
WEBSITE = (
    "Website checkout failed", "could not log in to the website", "tracking page never updates",
    "the app keeps crashing", "password reset didn't work", "online ordering is clunky",
)  # fmt: skip
BILLING = (
    "Invoice was wrong", "charged twice on the invoice", "credit note still not issued",
    "the invoice had the wrong price", "billing error again",
    "invoice prices don't match the quote",
    "Invoice sent to the wrong address",
)  # fmt: skip
PRAISE = (
    "Great service, thank you", "Fast delivery, all good", "Everything arrived complete",
    "Very helpful agent", "Friendly and quick", "Perfect as always", "good communication",
    "Smooth ordering", "no problems at all", "On time, not damaged, thanks!",
    "Delivered on time, nothing missing", "not late this time, well done", "excellent packaging",
    "the driver was very friendly", "great prices", "Très bien, merci", "Super service 👍",
    "Quick and easy", "The agent knew exactly what to do", "Happy with the order",
    "Reliable as usual", "Solved in one call, thank you", "Nice people to deal with",
    "Good value for money", "All fine, keep it up", "Easy to order online",
)  # fmt: skip
MEH = (
    "Ok", "Fine", "Average", "could be better", "ok overall", "prices went up",
    "Product quality is good", "Delivery ok but the driver came early", "nothing special",
    "Same as always", "It was alright", "Catalogue is hard to read",
)  # fmt: skip
OPENERS = ("Honestly, ", "Again: ", "Third time this month. ", "As usual ", "Hi, ")
CLOSERS = (" Not happy.", " Please fix this.", " Thanks anyway.", " Not acceptable.", " !!")
P_COMMENT = np.array([0.55, 0.20, 0.14])  # by mood: unhappy, neutral, happy


def _one(rng: np.random.Generator, bank: tuple[str, ...]) -> str:
    text = bank[int(rng.integers(len(bank)))]
    n = int(rng.integers(2, 12))
    return text.format(n=n, m=n + int(rng.integers(2, 20)))


def _typo(rng: np.random.Generator, text: str) -> str:
    """Swap two letters of one longer word (may hide a theme's word, as real typos do)."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = long[int(rng.integers(len(long)))]
    w = words[i]
    k = int(rng.integers(1, len(w) - 2))
    words[i] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    return " ".join(words)


def _banks(rng: np.random.Generator, sit: dict, i: int) -> list[tuple[str, ...]]:
    """The themes a customer in this situation writes about, most likely first."""
    mood, tp, u = int(sit["mood"][i]), int(sit["tp"][i]), rng.random(3)
    if tp == 0:
        if not sit["otif"][i] and mood < 2:
            first = (
                SPLIT
                if sit["split"][i] and u[0] < 0.8
                else (INCOMPLETE if sit["short"][i] and u[0] < 0.8 else LATE)
            )
            second = LATE if first is SPLIT else (DAMAGED if sit["damaged"][i] else INCOMPLETE)
            return [first, second] if u[1] < 0.25 else [first]
        if sit["damaged"][i] and mood < 2 and u[0] < 0.6:
            return [DAMAGED]
        return (
            [(BILLING if u[1] < 0.5 else LATE if u[1] < 0.6 else MEH)]
            if mood == 0
            else [MEH if mood == 1 else PRAISE]
        )
    if tp == 1:
        found = ([REPEAT] if sit["spawned"][i] and u[0] < 0.75 else []) + (
            [RUSHED] if sit["pushed"][i] and u[1] < 0.45 else []
        )
        if found and mood < 2:
            return found
        return [HOLD if u[2] < 0.4 else BILLING] if mood == 0 else [_calm(mood, u[2])]
    return [WEBSITE if u[0] < 0.6 else BILLING] if mood == 0 else [_calm(mood, u[2])]


def _calm(mood: int, u: float) -> tuple[str, ...]:
    """What a neutral or happy customer writes: some mention the invoice all the same."""
    return PRAISE if mood == 2 else BILLING if u < 0.3 else MEH


def _write(rng: np.random.Generator, banks: list[tuple[str, ...]]) -> str:
    parts = [_one(rng, b) for b in banks]
    text = (
        parts[0]
        if len(parts) == 1
        else parts[0] + (" and " if rng.random() < 0.5 else ". ") + parts[1]
    )
    u = rng.random(5)
    if u[0] < 0.15 and banks[0] not in (PRAISE, MEH):
        text = OPENERS[int(rng.integers(len(OPENERS)))] + text
    if u[1] < 0.15 and banks[0] not in (PRAISE, MEH):
        text += CLOSERS[int(rng.integers(len(CLOSERS)))]
    if u[2] < 0.06:
        text = _typo(rng, text)
    if u[3] < 0.08:
        text = text.lower()
    elif u[4] < 0.03:
        text = text.upper()
    # The canonical CSV layout writes values unquoted: no commas (people often skip them anyway).
    return text.replace(", ", " - ").replace(",", " ")


def comments(rng: np.random.Generator, sit: dict) -> pl.Series:
    """A comment (or null) per response. ``sit`` holds arrays per response: tp (0 delivery,
    1 call, 2 web), mood (0 unhappy .. 2 happy), and for the response's order otif, split,
    short, damaged, for its contact spawned (the customer had to call again) and pushed."""
    n = len(sit["tp"])
    p = P_COMMENT[sit["mood"]] + np.where((sit["tp"] == 0) & ~sit["otif"], 0.08, 0.0)
    has = rng.random(n) < p
    out: list[str | None] = [None] * n
    for i in np.flatnonzero(has):
        out[i] = _write(rng, _banks(rng, sit, int(i)))
    return pl.Series("comment", out, dtype=pl.String)
