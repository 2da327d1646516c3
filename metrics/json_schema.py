"""Write config/metrics.schema.json from the pydantic models, for editors.

Run ``python -m metrics.json_schema`` after changing metrics/spec.py; a test
checks the committed file is current.
"""

from __future__ import annotations

import json
from pathlib import Path

from metrics.spec import MetricsFile

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "config" / "metrics.schema.json"


def schema_text() -> str:
    schema = MetricsFile.model_json_schema(by_alias=True)
    schema["title"] = "North Star metrics.yaml"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text())
    print(f"wrote {SCHEMA_PATH}")
