from ninja import Schema

# Shared by every app's schemas.
# PostgreSQL text cannot hold NUL: such input is a 422, not a 500 from the database.
TEXT = r"^[^\x00]*$"
# Database ids are 64-bit: a larger number is a 422, not a database overflow.
MAX_ID = 2**63 - 1
# Beside every amount, in each object that has one (API.md, Conventions).
CURRENCY = "CNY"


class HealthOut(Schema):
    status: str
    database: str
    broker: str


class ErrorDetail(Schema):
    code: str
    message: str
    details: object | None = None


class ErrorOut(Schema):
    error: ErrorDetail
