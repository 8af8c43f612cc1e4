"""StreamField blocks for consultation pages: the body and the question definitions.

Questions live in the page (so they go through revisions, review and scheduled publishing with the
rest of the consultation); answers are ordinary rows keyed by each question block's stable id. The
survey engine in :mod:`consultations.survey` turns these blocks into plain question definitions.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock

from engagement.blocks import RICH_TEXT_FEATURES, ContentStreamBlock


class FactBlock(blocks.StructBlock):
    """A figure that frames the question ("£4.2m", "a third of households")."""

    figure = blocks.CharBlock(label=_("Figure"), max_length=40)
    description = blocks.CharBlock(label=_("What the figure means"), max_length=200)
    source = blocks.CharBlock(label=_("Source"), max_length=200, required=False)

    class Meta:
        icon = "pick"
        label = _("Fact")
        template = "consultations/blocks/fact.html"


class ConsultationBodyBlock(ContentStreamBlock):
    image = ImageBlock(label=_("Image"), template="consultations/blocks/image.html")
    document = DocumentChooserBlock(
        label=_("Document"), template="consultations/blocks/document.html"
    )
    fact = FactBlock()


class QuestionBlock(blocks.StructBlock):
    """What every question has: wording, hint, whether it must be answered, and a condition."""

    question = blocks.CharBlock(label=_("Question"), max_length=300)
    hint = blocks.CharBlock(label=_("Hint"), max_length=300, required=False)
    required = blocks.BooleanBlock(label=_("An answer is required"), required=False, default=True)
    reference = blocks.CharBlock(
        label=_("Reference"),
        max_length=20,
        required=False,
        help_text=_("A short name (such as Q3) that later questions can use in their condition."),
    )
    show_if_reference = blocks.CharBlock(
        label=_("Only show when the question with this reference..."),
        max_length=20,
        required=False,
    )
    show_if_answer = blocks.CharBlock(
        label=_("...was answered with"),
        max_length=200,
        required=False,
        help_text=_("One of that question's options, exactly as written."),
    )

    def clean(self, value):
        value = super().clean(value)
        if bool(value.get("show_if_reference")) != bool(value.get("show_if_answer")):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "show_if_answer": ValidationError(
                        _("Give both the reference and the answer, or neither.")
                    )
                }
            )
        return value


class TextQuestionBlock(QuestionBlock):
    max_length = blocks.IntegerBlock(
        label=_("Longest answer (characters)"), min_value=1, max_value=10_000, required=False
    )


class ShortTextBlock(TextQuestionBlock):
    class Meta:
        icon = "pilcrow"
        label = _("Short text")


class LongTextBlock(TextQuestionBlock):
    class Meta:
        icon = "doc-full"
        label = _("Long text")


class OptionsQuestionBlock(QuestionBlock):
    options = blocks.ListBlock(
        blocks.CharBlock(max_length=200), label=_("Options"), min_num=2, max_num=30
    )

    def clean(self, value):
        value = super().clean(value)
        options = [option.strip() for option in value["options"]]
        if len(set(options)) != len(options):
            raise blocks.StructBlockValidationError(
                block_errors={"options": ValidationError(_("Each option must be different."))}
            )
        return value


class SingleChoiceBlock(OptionsQuestionBlock):
    class Meta:
        icon = "radio-full"
        label = _("Single choice")


class MultipleChoiceBlock(OptionsQuestionBlock):
    allow_other = blocks.BooleanBlock(
        label=_('Offer "Other" with a text box'), required=False, default=False
    )

    class Meta:
        icon = "tasks"
        label = _("Multiple choice")


class RankingBlock(OptionsQuestionBlock):
    class Meta:
        icon = "order"
        label = _("Ranking")


class LikertBlock(QuestionBlock):
    class Meta:
        icon = "list-ol"
        label = _("Agreement scale")


class RatingBlock(QuestionBlock):
    scale = blocks.ChoiceBlock(label=_("Out of"), choices=[("5", "5"), ("10", "10")], default="5")

    class Meta:
        icon = "pick"
        label = _("Rating")


class NumberBlock(QuestionBlock):
    minimum = blocks.IntegerBlock(label=_("Smallest allowed"), required=False)
    maximum = blocks.IntegerBlock(label=_("Largest allowed"), required=False)
    unit = blocks.CharBlock(label=_("Unit (such as £ or minutes)"), max_length=20, required=False)

    class Meta:
        icon = "plus-inverse"
        label = _("Number")


class LocationBlock(QuestionBlock):
    class Meta:
        icon = "site"
        label = _("Location")


class QuestionStreamBlock(blocks.StreamBlock):
    short_text = ShortTextBlock()
    long_text = LongTextBlock()
    single_choice = SingleChoiceBlock()
    multiple_choice = MultipleChoiceBlock()
    likert = LikertBlock()
    rating = RatingBlock()
    ranking = RankingBlock()
    number = NumberBlock()
    location = LocationBlock()


class SurveySectionBlock(blocks.StructBlock):
    """One page of the survey."""

    title = blocks.CharBlock(label=_("Section title"), max_length=120)
    introduction = blocks.RichTextBlock(
        label=_("Introduction"), features=RICH_TEXT_FEATURES, required=False
    )
    questions = QuestionStreamBlock(label=_("Questions"), min_num=1, max_num=60)

    class Meta:
        icon = "form"
        label = _("Section (one page of the survey)")


class SurveyBlock(blocks.StreamBlock):
    section = SurveySectionBlock()

    class Meta:
        max_num = 20
