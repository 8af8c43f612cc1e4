// Survey questions that apply only after a particular earlier answer on the same page
// (data-show-if-field / data-show-if-value) are hidden until that answer is chosen. Without
// JavaScript they stay visible with a note saying when to answer them, and the server ignores an
// answer whose condition is not met, so hiding here is only a convenience.
export function initConditionalQuestions(root = document) {
  const questions = root.querySelectorAll("[data-show-if-field]");
  if (!questions.length) return;
  for (const question of questions) {
    const form = question.closest("form");
    const name = question.dataset.showIfField;
    const expected = question.dataset.showIfValue;
    const update = () => {
      const chosen = [...form.elements].filter(
        (input) => input.name === name && (input.checked || input.tagName === "SELECT"),
      );
      const met = chosen.some((input) => input.value === expected);
      question.hidden = !met;
      for (const note of question.querySelectorAll(".cg-condition")) note.hidden = true;
    };
    form.addEventListener("change", (event) => {
      if (event.target.name === name) update();
    });
    update();
  }
}
