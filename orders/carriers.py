"""The couriers rural China ships with: a code for each, the names farms type for it, the shape
of its waybill numbers and its public tracking page.

`carrier` stays free text on a parcel (what the farm wrote); `carrier_code` is what the app
keys on: given by the farm, or read from the name it typed (顺丰, 中通快递, 邮政 ...), `other`
when the name is no courier we know. A waybill number is letters, digits and `-`, 6 to 32
characters; a known courier's own shape is checked too, so a number typed into the wrong
carrier's field is a 422 instead of a tracking link that leads nowhere.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote

from marketplace.errors import ValidationFailed

OTHER = "other"
# Every courier's numbers: letters, digits and '-', upper-cased before checking.
TRACKING_NUMBER = re.compile(r"^[A-Z0-9-]{6,32}$")
# The Universal Postal Union's S10 shape of international and EMS items: EA123456789CN.
_UPU_S10 = r"[A-Z]{2}\d{9}[A-Z]{2}"


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    # lower-cased names a farm may type for it (besides the code and the name)
    aliases: tuple[str, ...]
    number: re.Pattern
    number_hint: str
    tracking_url: str  # with {number}


CARRIERS: dict[str, Carrier] = {c.code: c for c in (
    Carrier("SF", "顺丰速运", ("顺丰", "顺丰快递", "顺丰速递", "sf express", "sf-express",
                             "shunfeng"),
            re.compile(r"^(SF\d{12,13}|\d{12})$"), "SF and 12 or 13 digits",
            "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}"),
    Carrier("ZTO", "中通快递", ("中通", "中通速递", "zto express", "zhongtong"),
            re.compile(r"^\d{12,15}$"), "12 to 15 digits",
            "https://www.zto.com/express/expressCheck.html?txtBill={number}"),
    Carrier("YTO", "圆通速递", ("圆通", "圆通快递", "yto express", "yuantong"),
            re.compile(r"^(YT\d{10,16}|\d{10,13})$"), "YT and 10 to 16 digits",
            "https://www.yto.net.cn/query?waybillNo={number}"),
    Carrier("STO", "申通快递", ("申通", "申通速递", "sto express", "shentong"),
            re.compile(r"^\d{12,15}$"), "12 to 15 digits",
            "https://www.sto.cn/Service/CustomerService?waybillnos={number}"),
    Carrier("YD", "韵达快递", ("韵达", "韵达速递", "yunda", "yunda express"),
            re.compile(r"^\d{13,15}$"), "13 to 15 digits",
            "https://www.yundaex.com/cn/index.php?wen={number}"),
    Carrier("JD", "京东物流", ("京东", "京东快递", "京东快运", "jd logistics", "jingdong"),
            re.compile(r"^JD[A-Z0-9]{11,18}$"), "JD and 11 to 18 letters or digits",
            "https://www.jdl.com/orderSearch/?waybillCodes={number}"),
    Carrier("EMS", "EMS", ("中国邮政ems", "邮政ems", "ems快递", "中国邮政速递", "邮政速递",
                           "邮政特快专递", "特快专递"),
            re.compile(rf"^({_UPU_S10}|\d{{13}})$"), "13 digits, or as EA123456789CN",
            "https://www.ems.com.cn/queryList?mailNum={number}"),
    Carrier("YZPY", "邮政快递包裹", ("邮政", "中国邮政", "邮政包裹", "邮政快递", "邮政小包",
                                  "china post", "youzheng"),
            re.compile(rf"^({_UPU_S10}|\d{{13}})$"), "13 digits, or as CP123456789CN",
            "https://www.ems.com.cn/queryList?mailNum={number}"),
)}

CODES = (*CARRIERS, OTHER)
_BY_NAME = {name.lower(): c.code for c in CARRIERS.values()
            for name in (c.code, c.name, *c.aliases)}


def code_for(carrier: str) -> str:
    """The code of a courier named `carrier` (顺丰 -> SF, 中通快递 -> ZTO), `other` when it is
    none we know."""
    return _BY_NAME.get(re.sub(r"\s+", " ", carrier.strip()).lower(), OTHER)


def name_for(code: str) -> str:
    return CARRIERS[code].name if code in CARRIERS else ""


def tracking_url(code: str, number: str) -> str | None:
    """The courier's public page for the waybill `number`; None for `other` or no number."""
    carrier = CARRIERS.get(code)
    if carrier is None or not number:
        return None
    return carrier.tracking_url.format(number=quote(number, safe=""))


def carrier_resolve(*, carrier: str | None, carrier_code: str | None,
                    tracking_number: str) -> tuple[str, str, str]:
    """(carrier, carrier_code, tracking_number) as a parcel keeps them, or 422 naming each bad
    field: at least one of carrier and carrier_code; a name that is another known courier's
    than the code given; a waybill number of the wrong characters, length or shape."""
    carrier = (carrier or "").strip()
    code = (carrier_code or "").strip()
    number = re.sub(r"\s+", "", tracking_number or "").upper()
    errors: dict[str, str] = {}
    if code and code not in CODES:
        errors["carrier_code"] = f"Must be one of: {', '.join(CODES)}."
    elif not carrier and code in ("", OTHER):
        errors["carrier"] = "Name the carrier (carrier, or a carrier_code other than 'other')."
    elif not code:
        code = code_for(carrier)
    elif carrier and code_for(carrier) not in (code, OTHER):
        errors["carrier"] = (f"{carrier!r} is {code_for(carrier)}, not the carrier_code "
                             f"{code}.")
    if not number:
        errors["tracking_number"] = "This field may not be blank."
    elif not TRACKING_NUMBER.match(number):
        errors["tracking_number"] = ("A tracking number has 6 to 32 letters, digits or '-'.")
    elif code in CARRIERS and not CARRIERS[code].number.match(number):
        errors["tracking_number"] = (f"Not a {CARRIERS[code].name} tracking number "
                                     f"({CARRIERS[code].number_hint}).")
    if errors:
        raise ValidationFailed(errors)
    return carrier or name_for(code), code, number
