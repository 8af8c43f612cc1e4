from consultations.models import Response


def test_anonymous_resident_responds_to_every_question_type(
    client, consultation, wards, mailoutbox
):
    page = client.get(consultation.url)
    assert page.status_code == 200
    form = client.get(consultation.url + "respond/")
    assert form.status_code == 200, form.content
    survey = consultation.survey
    q = {question.label: question.field_name for question in survey.questions}
    data = {
        q["What is your favourite local place?"]: "The park",
        q["How often do you visit the high street?"]: "Rarely",
        q["How do you get there?"]: ["Walk", "__other__"],
        q["How do you get there?"] + "-other": "Scooter",
        q["The high street feels safe after dark."]: "Agree",
        q["Rate the street cleaning."]: "4",
        q["Rank these priorities."] + "_0": "2",
        q["Rank these priorities."] + "_1": "1",
        q["Rank these priorities."] + "_2": "3",
        q["How many minutes does it take you?"]: "15",
        q["Where is the spot that most needs work?"]: str(wards[0].pk),
        q["What would make you visit more?"]: "Better buses",
        "ward": str(wards[1].pk),
        "action": "submit",
    }
    response = client.post(consultation.url + "respond/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    sent = Response.objects.get()
    assert sent.answers[survey.questions[6].key] == ["Trees", "Seating", "Toilets"]
    confirmation = client.get(response["Location"])
    assert b"Response sent" in confirmation.content
