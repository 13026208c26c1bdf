"""A stand-in for a Django data portal's storage code: what the tests exercise. Like the real
thing it builds its own boto3 clients from the environment (``boto3.client("s3")``), which the
fake_s3 fixtures point at the fake."""
