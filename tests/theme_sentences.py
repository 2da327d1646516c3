"""Realistic survey comments with the themes a person reads in them (hand-labelled), for the
negation test (tests/test_theme_negation.py). Written as customers write: contractions with and
without apostrophes, negated lists ("no X or Y", "no X, no Y", "neither X nor Y"), contrast
("not ... but ..."), phrases that name a theme only when negated ("wasn't on time"), and the
languages the sample holds (English; French, "Très bien, merci"). Labels are sets of theme names
of config/metrics.yaml; an empty set is a comment about none of them ("other").
"""

from __future__ import annotations

LATE, SPLIT, INCOMPLETE, DAMAGED = "late_delivery", "split_delivery", "incomplete_order", "damaged"
REPEAT, RUSHED, HOLD, WEBSITE = "repeat_contact", "rushed_call", "hold_time", "website"

# (comment, themes it expresses, language)
SENTENCES: list[tuple[str, frozenset[str], str]] = [
    # --- negated lists: nothing to report ------------------------------------------------
    ("No delays or damage this time, thanks", frozenset(), "en"),
    ("No delays, no damage, all good", frozenset(), "en"),
    ("Neither late nor damaged", frozenset(), "en"),
    ("Arrived without any damage", frozenset(), "en"),
    ("Without delay or damage - great", frozenset(), "en"),
    ("No damage or missing items", frozenset(), "en"),
    ("Nothing broken, nothing missing", frozenset(), "en"),
    ("Nothing was damaged or missing", frozenset(), "en"),
    ("None of the boxes were damaged", frozenset(), "en"),
    ("Not a single item was broken", frozenset(), "en"),
    ("No delays and no damage", frozenset(), "en"),
    ("no scratches, no dents, no leaks", frozenset(), "en"),
    ("No problems with damage or delays", frozenset(), "en"),
    ("Not late at all, very happy", frozenset(), "en"),
    ("It wasn't late", frozenset(), "en"),
    ("wasnt late this time", frozenset(), "en"),
    ("The delivery didn't arrive late", frozenset(), "en"),
    ("Never late, never damaged", frozenset(), "en"),
    ("It hasn't been late once this year", frozenset(), "en"),
    ("Delivery isn't delayed any more, well done", frozenset(), "en"),
    ("No need to chase this time", frozenset(), "en"),
    ("Didn't have to call back, solved first time", frozenset(), "en"),
    ("The agent didn't rush me at all", frozenset(), "en"),
    ("Not rushed, the agent took her time", frozenset(), "en"),
    ("No waiting on hold today", frozenset(), "en"),
    ("Everything arrived complete and on time", frozenset(), "en"),
    ("arrived on time and undamaged", frozenset(), "en"),
    ("On time, in full, no damage", frozenset(), "en"),
    ("Not in two parts this time, everything together", frozenset(), "en"),
    ("Could be better", frozenset(), "en"),
    ("Not only fast but also cheap", frozenset(), "en"),
    # --- theme words only when negated ---------------------------------------------------
    ("Not on time", frozenset({LATE}), "en"),
    ("Delivery wasn't on time", frozenset({LATE}), "en"),
    ("It didn't arrive on time", frozenset({LATE}), "en"),
    ("the order was not delivered on time again", frozenset({LATE}), "en"),
    ("never on time!!", frozenset({LATE}), "en"),
    ("Isn't on time, as usual", frozenset({LATE}), "en"),
    ("Deliveries are never on time anymore", frozenset({LATE}), "en"),
    ("Could have been faster", frozenset({LATE}), "en"),
    ("Delivery could have been quicker", frozenset({LATE}), "en"),
    ("Still hasn't arrived", frozenset({LATE}), "en"),
    ("The order hasn't arrived yet", frozenset({LATE}), "en"),
    ("Not everything arrived", frozenset({INCOMPLETE}), "en"),
    ("We didn't get everything we ordered", frozenset({INCOMPLETE}), "en"),
    ("Not all items were delivered", frozenset({INCOMPLETE}), "en"),
    ("Order wasn't complete", frozenset({INCOMPLETE}), "en"),
    ("The issue still wasn't resolved", frozenset({REPEAT}), "en"),
    ("Nobody ever called me back", frozenset({REPEAT}), "en"),
    ("They never called back", frozenset({REPEAT}), "en"),
    ("No one got back to me", frozenset({REPEAT}), "en"),
    ("The agent didn't listen", frozenset({RUSHED}), "en"),
    ("I couldn't log in to order", frozenset({WEBSITE}), "en"),
    # --- contrast: the negation ends at "but" ----------------------------------------------
    ("Arrived on time but damaged", frozenset({DAMAGED}), "en"),
    ("Not late but two boxes were crushed", frozenset({DAMAGED}), "en"),
    ("wasn't late, but the pallet was damaged", frozenset({DAMAGED}), "en"),
    ("No damage but it came three days late", frozenset({LATE}), "en"),
    ("Nothing broken but half the order was missing", frozenset({INCOMPLETE}), "en"),
    ("No delays, but one item missing", frozenset({INCOMPLETE}), "en"),
    ("Not damaged, however it arrived late", frozenset({LATE}), "en"),
    ("Not late - the box was damaged though", frozenset({DAMAGED}), "en"),
    ("Delivered on time but in two parts", frozenset({SPLIT}), "en"),
    ("Not damaged but not on time either", frozenset({LATE}), "en"),
    # --- negation next to a complaint -----------------------------------------------------
    ("Wasn't on time and the box was damaged", frozenset({LATE, DAMAGED}), "en"),
    ("Didn't arrive on time and two items were missing", frozenset({LATE, INCOMPLETE}), "en"),
    ("Late and nobody told us", frozenset({LATE}), "en"),
    ("delayed without any notice", frozenset({LATE}), "en"),
    ("Nobody called back and the delivery was late", frozenset({LATE, REPEAT}), "en"),
    ("not happy, delivery was late again", frozenset({LATE}), "en"),
    ("Not acceptable - goods arrived damaged", frozenset({DAMAGED}), "en"),
    ("No idea why it was split into two deliveries", frozenset({SPLIT}), "en"),
    ("Never again: three days late and a broken pallet", frozenset({LATE, DAMAGED}), "en"),
    ("Out of stock but nobody told us", frozenset({INCOMPLETE}), "en"),
    ("the app keeps crashing and I can't log in", frozenset({WEBSITE}), "en"),
    ("Had to call twice, still not resolved", frozenset({REPEAT}), "en"),
    ("Not damaged, not late, but I had to call three times", frozenset({REPEAT}), "en"),
    ("Damaged again", frozenset({DAMAGED}), "en"),
    ("Late again.", frozenset({LATE}), "en"),
    ("Came in two deliveries and one box was dented", frozenset({SPLIT, DAMAGED}), "en"),
    # --- more of the same, written after the rules (a check against fitting the set) -----
    ("Never had a problem, on time as always", frozenset(), "en"),
    ("Driver was friendly, nothing was damaged", frozenset(), "en"),
    ("Didn't get the full order, two lines short shipped", frozenset({INCOMPLETE}), "en"),
    ("The parcel wasn't damaged or late", frozenset(), "en"),
    ("Items weren't broken, just late", frozenset({LATE}), "en"),
    ("No delay whatsoever", frozenset(), "en"),
    ("We weren't told about the delay", frozenset({LATE}), "en"),
    ("Hardly any delay, fine", frozenset(), "en"),
    ("The agent hung up on me and nobody called back", frozenset({REPEAT, RUSHED}), "en"),
    ("I wasn't on hold long, thanks", frozenset(), "en"),
    ("Spent 40 minutes on hold", frozenset({HOLD}), "en"),
    ("Not split this time, one delivery", frozenset(), "en"),
    ("Split again, and the second part was damaged", frozenset({SPLIT, DAMAGED}), "en"),
    ("No missing items and no split shipment", frozenset(), "en"),
    ("The website doesn't work on my phone", frozenset({WEBSITE}), "en"),
    ("never rude, always helpful", frozenset(), "en"),
    ("Wasn't rushed, but I had to chase twice", frozenset({REPEAT}), "en"),
    ("Didnt arrive on time", frozenset({LATE}), "en"),
    ("doesn't arrive on time anymore and is often damaged", frozenset({LATE, DAMAGED}), "en"),
    ("Without any notice the order was split", frozenset({SPLIT}), "en"),
    ("It was not the driver's fault it was late", frozenset({LATE}), "en"),
    ("Colis arrivé sans dommage et à l'heure", frozenset(), "fr"),
    ("Ni retard ni colis abîmé", frozenset(), "fr"),
    ("Toujours en retard", frozenset({LATE}), "fr"),
    ("They didn't call me back", frozenset({REPEAT}), "en"),
    ("One box wasn't in one piece", frozenset({DAMAGED}), "en"),
    ("Nothing wrong with the website", frozenset(), "en"),
    # --- French ----------------------------------------------------------------------------
    ("Très bien, merci", frozenset(), "fr"),
    ("Livraison en retard", frozenset({LATE}), "fr"),
    ("Colis abîmé à la livraison", frozenset({DAMAGED}), "fr"),
    ("Pas de retard, pas de casse", frozenset(), "fr"),
    ("Sans retard ni dommage, merci", frozenset(), "fr"),
    ("Aucun retard et rien de cassé", frozenset(), "fr"),
    ("Livraison pas à l'heure", frozenset({LATE}), "fr"),
    ("La commande n'est pas arrivée à l'heure", frozenset({LATE}), "fr"),
    ("Pas en retard mais le colis était abîmé", frozenset({DAMAGED}), "fr"),
    ("Livrée à temps mais endommagée", frozenset({DAMAGED}), "fr"),
    ("Il manque deux articles", frozenset({INCOMPLETE}), "fr"),
    ("Il ne manque rien, parfait", frozenset(), "fr"),
    ("Commande incomplète et livrée en retard", frozenset({LATE, INCOMPLETE}), "fr"),
    ("Jamais en retard, jamais abîmé", frozenset(), "fr"),
    ("Personne ne m'a rappelé", frozenset({REPEAT}), "fr"),
    ("Livraison retardée de trois jours", frozenset({LATE}), "fr"),
]

# Sentences the rules get wrong, with their right labels: comments are compared with punctuation
# as spaces (the voice model's normalised text), so a negation cannot see a comma list without
# "or"/"and" nor a sentence end. Kept in the set's measure; the test pins that only these fail.
LIMITS: list[tuple[str, frozenset[str], str]] = [
    ("No delays, damage or missing items", frozenset(), "en"),  # 'damage' read as said
    ("No, the delivery was late", frozenset({LATE}), "en"),  # 'late' read as negated
    ("Nothing wrong - late again", frozenset({LATE}), "en"),  # 'late' read as negated
]
