"""A parcel's fee from its lines' templates, against fees worked out by hand.

The regions are those of tests/factories.REGION_TREE (河南省 / 周口市 / 太康县 / 城关回族镇 /
二郎庙村, 浙江省 / 杭州市 / 西湖区) plus 新疆 (乌鲁木齐市 天山区) and 周口市 川汇区, by lineage:
the engine reads no table.
"""

from decimal import Decimal

import pytest

from freight.fees import Item, RegionNotServed, Template, destination_of, kilograms, parcel_fee

pytestmark = pytest.mark.backend_independent

XIHU = "/330000/330100/330106/"
TAIKANG = "/410000/411600/411627/"
TOWN = "/410000/411600/411627/411627100000/"
VILLAGE = "/410000/411600/411627/411627100000/411627100201/"
CHUANHUI = "/410000/411600/411602/"  # another county of 周口市
TIANSHAN = "/650000/650100/650102/"  # 乌鲁木齐市 天山区, 新疆


def by_weight(**document) -> Template:
    """A weight template: 浙江 8.00 + 2.00/kg; 河南 6.00 + 1.50/kg; 太康县 5.00 for the first
    2 kg + 1.00/kg; 二郎庙村 3.00 + 0.50/kg; elsewhere 12.00 + 5.00/kg. Free in 浙江 from
    99.00 of goods, everywhere from 20 kg."""
    return Template.of(id=document.pop("id", 1), basis="weight", document={
        "rules": [
            {"regions": [[1, "330000"]], "first": [1, 800], "next": [1, 200]},
            {"regions": [[2, "410000"]], "first": [1, 600], "next": [1, 150]},
            {"regions": [[3, "411627"]], "first": [2, 500], "next": [1, 100]},
            {"regions": [[4, "411627100201"]], "first": [1, 300], "next": [1, 50]},
        ],
        "default": {"first": [1, 1200], "next": [1, 500]},
        "free_over": [{"regions": [[1, "330000"]], "min_fen": 9900, "min_units": None},
                      {"regions": [], "min_fen": None, "min_units": 20}],
        "no_ship": [],
        **document,
    })


def by_piece(**document) -> Template:
    """A piece template: 10.00 for up to 2 pieces, then 4.00 for each 3 more or part of
    them; free from 8 pieces."""
    return Template.of(id=document.pop("id", 2), basis="piece", document={
        "rules": [], "default": {"first": [2, 1000], "next": [3, 400]},
        "free_over": [{"regions": [], "min_fen": None, "min_units": 8}], "no_ship": [],
        **document,
    })


def fee(lineage: str, *lines: tuple, template: Template | None = None) -> Decimal:
    """parcel_fee of lines (grams, quantity, amount) or (grams, quantity, amount, template)."""
    items = [Item(listing_id=n + 1, quantity=line[1], amount=Decimal(line[2]),
                  net_weight_g=line[0], template=line[3] if len(line) > 3 else template)
             for n, line in enumerate(lines)]
    return parcel_fee(items, destination_of(lineage))


@pytest.mark.parametrize(("grams", "kg"), [
    (1, 1), (999, 1), (1000, 1), (1001, 2), (2999, 3), (3000, 3), (3001, 4), (0, 1),
])
def test_weight_rounds_up_to_the_next_kilogram_and_never_below_one(grams, kg):
    assert kilograms(grams) == kg


@pytest.mark.parametrize(("lines", "expected"), [
    # first kilogram, then each further one
    ([(500, 1, "20.00")], "8.00"),                # 0.5 kg counts as 1: 8.00
    ([(1200, 1, "20.00")], "10.00"),              # 2 kg: 8.00 + 2.00
    ([(3000, 1, "20.00")], "12.00"),              # exactly 3 kg: 8.00 + 2 x 2.00
    ([(3001, 1, "20.00")], "14.00"),              # 3.001 kg -> 4 kg: 8.00 + 3 x 2.00
    ([(2500, 2, "40.00")], "16.00"),              # 2 x 2.5 kg = 5 kg: 8.00 + 4 x 2.00
    ([(700, 1, "10.00"), (800, 1, "10.00")], "10.00"),  # 1.5 kg together -> 2 kg
    # free over an amount in 浙江 (the farm's goods in the parcel)
    ([(3000, 1, "99.00")], "0.00"),
    ([(3000, 1, "98.99")], "12.00"),
    ([(1000, 3, "33.00"), (1000, 1, "66.00")], "0.00"),   # 99.00 across two lines
    # 浙江's own free-over entry is the one that holds there, not the everywhere one
    ([(1000, 20, "50.00")], "46.00"),             # 20 kg but under 99.00: 8.00 + 19 x 2.00
])
def test_by_weight_to_a_county_of_a_province_with_a_rule(lines, expected):
    assert fee(XIHU, *lines, template=by_weight()) == Decimal(expected)


@pytest.mark.parametrize(("lineage", "expected", "why"), [
    (VILLAGE, "4.00", "the village's rule: 3.00 + 2 x 0.50"),
    (TOWN, "6.00", "no township rule: the county's, 5.00 for 2 kg + 1 x 1.00"),
    (TAIKANG, "6.00", "the county's rule before its province's"),
    (CHUANHUI, "9.00", "another county of 河南: the province's, 6.00 + 2 x 1.50"),
    (TIANSHAN, "22.00", "no rule for 新疆: the default, 12.00 + 2 x 5.00"),
])
def test_the_most_specific_region_wins_village_county_province_default(lineage, expected, why):
    assert fee(lineage, (1500, 2, "30.00"), template=by_weight()) == Decimal(expected), why


@pytest.mark.parametrize(("kg", "expected"), [(19, "102.00"), (20, "0.00"), (35, "0.00")])
def test_free_over_a_count_of_kilograms_where_it_holds(kg, expected):
    # 新疆: the everywhere entry (from 20 kg); 19 kg is 12.00 + 18 x 5.00
    assert fee(TIANSHAN, (1000, kg, "10.00"), template=by_weight()) == Decimal(expected)


@pytest.mark.parametrize(("pieces", "expected"), [
    (1, "10.00"), (2, "10.00"), (3, "14.00"), (5, "14.00"), (6, "18.00"), (7, "18.00"),
    (8, "0.00"),
])
def test_by_piece_first_pieces_then_each_further_step_or_part_of_it(pieces, expected):
    assert fee(XIHU, (None, pieces, "5.00"), template=by_piece()) == Decimal(expected)


def test_pieces_count_across_the_lines_of_the_parcel():
    assert fee(XIHU, (None, 2, "5.00"), (None, 1, "9.00"), template=by_piece()) == Decimal(
        "14.00")


def test_a_region_not_served_names_every_line_of_such_a_listing():
    template = by_weight(no_ship=[[9, "650000"]])
    with pytest.raises(RegionNotServed) as refused:
        fee(TIANSHAN, (500, 1, "10.00"), (500, 1, "10.00", None), template=template)
    assert refused.value.code == "region_not_served"
    assert [d["listing_id"] for d in refused.value.details] == [1]
    # ... and the rest of the country is served as before
    assert fee(XIHU, (500, 1, "10.00"), template=template) == Decimal("8.00")


def test_a_region_under_a_region_not_served_is_not_served():
    template = by_weight(no_ship=[[9, "411600"]])  # 周口市
    with pytest.raises(RegionNotServed):
        fee(VILLAGE, (500, 1, "10.00"), template=template)


def test_without_a_default_a_region_no_rule_names_is_not_served():
    # a region added to the tree after the template was saved, under no rule
    template = by_weight(default=None)
    with pytest.raises(RegionNotServed):
        fee(TIANSHAN, (500, 1, "10.00"), template=template)


@pytest.mark.parametrize(("goods", "expected"), [("98.99", "10.00"), ("99.00", "0.00")])
def test_a_parcel_on_no_template_pays_the_flat_fee_as_before(settings, goods, expected):
    settings.SHIPPING_FEE_FLAT, settings.SHIPPING_FREE_THRESHOLD = Decimal("10.00"), Decimal("99")
    assert fee(TIANSHAN, (None, 1, goods)) == Decimal(expected)


def test_lines_on_different_templates_pay_the_dearest_rule_for_the_whole_box(settings):
    settings.SHIPPING_FEE_FLAT, settings.SHIPPING_FREE_THRESHOLD = Decimal("10.00"), Decimal("99")
    weight, piece = by_weight(), by_piece()
    # 3 kg and 3 pieces to 西湖区: weight 8.00 + 2 x 2.00 = 12.00; piece 14.00 -> 14.00
    assert fee(XIHU, (1000, 2, "10.00", weight), (1000, 1, "10.00", piece)) == Decimal("14.00")
    # 6 kg and 6 pieces: weight 8.00 + 5 x 2.00 = 18.00; piece 18.00 -> 18.00
    assert fee(XIHU, (1000, 5, "10.00", weight), (1000, 1, "10.00", piece)) == Decimal("18.00")
    # 10 kg, 5 pieces: weight 26.00 beats piece 14.00
    assert fee(XIHU, (2000, 4, "10.00", weight), (2000, 1, "10.00", piece)) == Decimal("26.00")
    # a line on no template stands for the flat fee: 1 kg by weight is 8.00, flat 10.00
    assert fee(XIHU, (500, 1, "10.00", weight), (None, 1, "10.00", None)) == Decimal("10.00")
    # one template free (浙江 from 99.00 of goods), the other not: the other's fee
    assert fee(XIHU, (1000, 1, "60.00", weight), (None, 1, "40.00", piece)) == Decimal("10.00")


def test_one_template_on_several_lines_is_charged_once_for_the_whole_box():
    weight = by_weight()
    assert fee(XIHU, (1000, 1, "10.00", weight), (1000, 1, "10.00", weight)) == Decimal("10.00")
