"""The kernel every app imports: the error envelope, money, pagination, Idempotency-Key,
compiled SQL, visitors, storage, the task retry policy. It imports no app of the project and
not the project package (`shanhuo`), which wires them."""
