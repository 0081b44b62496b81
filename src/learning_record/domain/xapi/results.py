"""Results: the measured outcome of a statement (xAPI 2.4.5)."""

from pydantic import model_validator

from learning_record.domain.xapi.common import (
    Duration,
    Extensions,
    Number,
    Omittable,
    XapiModel,
    rule_error,
)


class Score(XapiModel):
    """A graded outcome (2.4.5.1): scaled in [-1, 1], and min <= raw <= max with min < max."""

    scaled: Omittable[Number] = None
    raw: Omittable[Number] = None
    min: Omittable[Number] = None
    max: Omittable[Number] = None

    @model_validator(mode="after")
    def _is_within_bounds(self) -> "Score":
        if self.scaled is not None and not -1 <= self.scaled <= 1:
            raise rule_error("must be between -1 and 1 inclusive", at="scaled")
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise rule_error(f"must be greater than min ({self.min})", at="max")
        if self.raw is not None:
            if self.min is not None and self.raw < self.min:
                raise rule_error(f"must not be less than min ({self.min})", at="raw")
            if self.max is not None and self.raw > self.max:
                raise rule_error(f"must not be greater than max ({self.max})", at="raw")
        return self


class Result(XapiModel):
    score: Omittable[Score] = None
    success: Omittable[bool] = None
    completion: Omittable[bool] = None
    response: Omittable[str] = None
    duration: Omittable[Duration] = None
    extensions: Omittable[Extensions] = None
