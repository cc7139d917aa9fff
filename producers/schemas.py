from ninja import Field, Schema


class RegionOut(Schema):
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str


class RegionQuery(Schema):
    parent: int | None = Field(None, description="A region's id: its children. None: provinces.")


class CategoryOut(Schema):
    id: int
    slug: str
    name: str
    parent_id: int | None
