"""The words of the demo workspace history (programs.demo_workspace): what each skill looks like in practice, how
each department works, and the templates that session topics, shared and private notes, reflections, feedback,
goals, action items and assessment evidence are written from.

Placeholders: {mentor}, {mentee} (first names), {mentor_dept}, {mentee_dept}, {mentor_habit}, {mentee_habit},
{skill}, {focus}, {practice}, {growth}, {strength}, {achievement}, {goal}, {cadence}. A skill that is not listed
here (renamed in a dev database, say) falls back to `generic_skill`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SkillWords:
    practices: tuple[str, ...]  # concrete things to try, lower case: action items, plans, goal updates
    growth: tuple[str, ...]  # typical growth areas, completing "{mentee} ..."
    goal: tuple[str, str]  # a SMART goal: (what, how progress is measured)
    evidence: tuple[str, ...]  # final or midpoint assessment evidence
    achievement: tuple[str, ...]  # completing "{mentee} ..." at the review stage


SKILLS: dict[str, SkillWords] = {
    "Data literacy": SkillWords(
        practices=(
            "build a one-page dashboard of the team's three key numbers",
            "review last quarter's decisions against the data that was available then",
            "explain one metric's trend at the next team meeting",
        ),
        growth=(
            "jumps to conclusions before checking how a number was measured",
            "finds SQL intimidating and waits for the analysts",
        ),
        goal=(
            "Make the team's weekly decisions from data",
            "A dashboard the team opens every week; two decisions written up with the numbers behind them",
        ),
        evidence=(
            "Presented the churn numbers at the team meeting and answered the questions on sampling.",
            "Built the first dashboard alone; still asks for help with joins.",
        ),
        achievement=(
            "now opens every planning meeting with the dashboard",
            "caught a wrong conversion figure before it reached leadership",
        ),
    ),
    "Systems thinking": SkillWords(
        practices=(
            "map who is affected by the next release, two teams out",
            "draw the hand-offs between {mentor_dept} and {mentee_dept} for one process",
            "run a short pre-mortem on the current project",
        ),
        growth=(
            "optimises their own team's part and misses the knock-on effects",
            "rarely asks who else a change touches",
        ),
        goal=(
            "Explain how my team's work affects two other departments",
            "A hand-off map reviewed by both departments; one process change agreed",
        ),
        evidence=(
            "The hand-off map found two duplicate approvals; one of them is gone.",
            "Ran a pre-mortem that changed the rollout order.",
        ),
        achievement=("spotted a dependency on another team before the launch, not after",),
    ),
    "Financial acumen": SkillWords(
        practices=(
            "read the department's budget line by line with someone from Finance",
            "write a one-page business case for the current project",
            "work out the unit economics of one product line",
        ),
        growth=("avoids the numbers side of proposals", "cannot yet say what a project costs beyond headcount"),
        goal=(
            "Write a business case that Finance signs off",
            "A one-page case with costs, benefits and payback, reviewed by Finance",
        ),
        evidence=(
            "The business case for the tooling change was approved at the first review.",
            "Explains gross margin and payback without notes.",
        ),
        achievement=("got a business case approved at the first attempt",),
    ),
    "Customer empathy": SkillWords(
        practices=(
            "shadow three support calls with Customer Success",
            "read twenty recent customer tickets and summarise the patterns",
            "join a customer call and write down their words, not ours",
        ),
        growth=("describes customers by segment, not by their problems", "has not spoken to a customer this year"),
        goal=(
            "Base my team's priorities on what customers actually say",
            "Three shadowed calls; the top five customer pains shared with the team",
        ),
        evidence=(
            "Summarised the top five pains from forty tickets; two made it onto the roadmap.",
            "Shadowed support calls and now quotes customers in reviews.",
        ),
        achievement=("brought three customer quotes to the roadmap review",),
    ),
    "Product discovery": SkillWords(
        practices=(
            "write the problem statement before any solution",
            "test a paper prototype with five colleagues from another team",
            "set up two assumption tests for the next feature",
        ),
        growth=("starts from a solution and looks for the problem afterwards", "treats every request as a requirement"),
        goal=(
            "Run a discovery cycle before committing to a build",
            "A problem statement, two assumption tests and a go/no-go decision, written down",
        ),
        evidence=(
            "Ran two assumption tests; one idea was dropped before a line of code was written.",
            "Problem statements are now the first page of every proposal.",
        ),
        achievement=("stopped an expensive feature after a one-week test",),
    ),
    "UX research": SkillWords(
        practices=(
            "draft an interview guide and have {mentor} critique it",
            "run two usability sessions and synthesise the findings",
            "turn the interview notes into an affinity map",
        ),
        growth=("asks leading questions in interviews", "collects notes but struggles to synthesise them"),
        goal=(
            "Plan and run my first user interviews",
            "Five interviews run with a guide; findings shared in a readout",
        ),
        evidence=(
            "Ran five interviews; the readout changed the onboarding flow.",
            "The interview guide no longer has leading questions.",
        ),
        achievement=("ran five interviews and presented the findings to the product team",),
    ),
    "Negotiation": SkillWords(
        practices=(
            "prepare the next vendor renewal with a clear walk-away point",
            "role-play the budget conversation with {mentor}",
            "write down both sides' interests before the next difficult meeting",
        ),
        growth=("concedes too early when there is pushback", "negotiates positions instead of interests"),
        goal=(
            "Negotiate the next renewal with a plan",
            "A prepared plan (interests, options, walk-away point) used in one real negotiation",
        ),
        evidence=(
            "The renewal closed 12% under the first quote, on the terms we wanted.",
            "Held the walk-away point in the role-play under pressure.",
        ),
        achievement=("closed the renewal under budget without damaging the relationship",),
    ),
    "Public speaking": SkillWords(
        practices=(
            "dry-run the all-hands demo with {mentor}",
            "record a five-minute talk and watch it back",
            "present at the next team meeting without slides",
        ),
        growth=("speaks too fast under pressure and reads from the slides", "avoids presenting to leadership"),
        goal=("Present my team's work at the all-hands", "A ten-minute talk given; feedback from three listeners"),
        evidence=(
            "Gave the all-hands demo, kept to time and handled the questions calmly.",
            "The recordings show fewer filler words and a slower pace.",
        ),
        achievement=("presented at the all-hands and got questions from three departments",),
    ),
    "Stakeholder management": SkillWords(
        practices=(
            "map the project's stakeholders by influence and interest",
            "send a short fortnightly update to the steering group",
            "book a one-to-one with the most sceptical stakeholder",
        ),
        growth=(
            "informs stakeholders late, once decisions are made",
            "leaves the sceptics out instead of engaging them",
        ),
        goal=(
            "Keep the key people of my project informed and on board",
            "A stakeholder map and a fortnightly update; no surprise escalations for a quarter",
        ),
        evidence=(
            "The fortnightly update is read and answered by the steering group.",
            "The most sceptical stakeholder became a sponsor after two one-to-ones.",
        ),
        achievement=("turned the most sceptical stakeholder into a sponsor",),
    ),
    "Technical writing": SkillWords(
        practices=(
            "rewrite the last spec with the decision and its reasons on page one",
            "write a how-to guide and test it on a new joiner",
            "cut the next document in half before sending it",
        ),
        growth=("writes long documents that bury the decision", "writes for themself rather than for the reader"),
        goal=(
            "Write decision documents people can act on",
            "Three documents with the decision first; reviewers act without a follow-up meeting",
        ),
        evidence=(
            "The new spec was approved with no follow-up meeting.",
            "A new joiner completed the setup from the guide alone.",
        ),
        achievement=("wrote the decision record the whole team now uses as a template",),
    ),
    "Coaching": SkillWords(
        practices=(
            "ask three questions before giving any advice in the next one-to-one",
            "coach a junior colleague through one problem without solving it",
            "ask a peer for feedback on a coaching conversation",
        ),
        growth=("jumps to solutions when someone brings a problem", "gives feedback in general terms, not examples"),
        goal=(
            "Coach rather than tell in my one-to-ones",
            "Three coaching conversations with notes; feedback from the people coached",
        ),
        evidence=(
            "The colleague coached found their own answer in two of three conversations.",
            "Asks open questions first; still jumps in under time pressure.",
        ),
        achievement=("coached a junior colleague through their first incident review",),
    ),
    "Leadership": SkillWords(
        practices=(
            "write a one-paragraph vision for the team and test it on two colleagues",
            "delegate one recurring task fully, with the decision rights",
            "run the next retrospective and follow up on its actions",
        ),
        growth=("keeps the interesting work instead of delegating it", "is clear on the what but not on the why"),
        goal=(
            "Prepare to lead a team of my own",
            "Run a team ritual for a quarter, delegate one responsibility, and ask the team for feedback",
        ),
        evidence=(
            "Ran the retrospectives for a quarter; the team's follow-through improved.",
            "Delegated the release process together with the decision rights.",
        ),
        achievement=("stood in as team lead for three weeks and the team noticed the difference",),
    ),
    "Lab safety leadership": SkillWords(
        practices=(
            "lead the next safety walk-through and note the near misses",
            "open the shift with a five-minute safety talk",
            "review one incident report with the lab manager",
        ),
        growth=("treats safety as the checklist, not the habits behind it", "hesitates to correct senior colleagues"),
        goal=("Lead safety in my lab beyond the checklist", "Two walk-throughs led; near misses reported every week"),
        evidence=(
            "Led two walk-throughs; near-miss reports doubled in a month.",
            "Corrected a senior colleague calmly.",
        ),
        achievement=("runs the weekly safety talk without being asked",),
    ),
    "Process improvement": SkillWords(
        practices=(
            "map the sample intake process and time each step",
            "run a small experiment on one bottleneck",
            "show the team the before and after numbers",
        ),
        growth=("fixes symptoms instead of the process", "changes several things at once and cannot tell what worked"),
        goal=("Cut the sample intake time", "Intake time measured before and after one change; the team agrees on it"),
        evidence=("Intake time is down from two days to one.", "Ran one change at a time and measured each."),
        achievement=("cut the intake time in half with one change to the hand-off",),
    ),
    "Scientific writing": SkillWords(
        practices=(
            "outline the next paper with its claim in one sentence",
            "ask {mentor} to review the methods section",
            "rewrite the abstract for a non-specialist",
        ),
        growth=("buries the main finding in the discussion", "writes methods no one else could repeat"),
        goal=("Submit a paper with a clear claim", "A draft reviewed by two colleagues and submitted"),
        evidence=("The draft was accepted for internal review at the first pass.", "Abstracts now state the claim."),
        achievement=("submitted the paper with a one-sentence claim up front",),
    ),
    "Account planning": SkillWords(
        practices=(
            "draft a one-year plan for one key account",
            "map the account's decision makers",
            "review the plan with the account's technical contact",
        ),
        growth=("plans deal by deal, not account by account", "knows the buyer but not the decision makers"),
        goal=("Plan a year with one key account", "A written account plan reviewed with the customer"),
        evidence=("The account plan was reviewed with the customer.", "Mapped six decision makers, up from two."),
        achievement=("agreed a one-year plan with the key account",),
    ),
}


def generic_skill(name: str) -> SkillWords:
    lower = name.lower()
    return SkillWords(
        practices=(f"practise {lower} in one real situation this month", f"ask a colleague for feedback on {lower}"),
        growth=(f"has few chances to practise {lower}",),
        goal=(f"Get better at {lower}", "One real situation a month, with feedback written down"),
        evidence=(f"Practised {lower} in real situations and asked for feedback.",),
        achievement=(f"uses {lower} in their work every week",),
    )


DEPARTMENT_HABITS = {
    "Engineering": "plans work in short design documents and reviews every change in pairs",
    "Product": "turns customer evidence into a quarterly roadmap",
    "Design": "tests rough prototypes with users before polishing anything",
    "Sales": "runs a weekly pipeline review and qualifies every deal the same way",
    "Marketing": "plans campaigns around one message and measures each channel",
    "Customer Success": "tracks account health and steps in before a renewal is at risk",
    "Finance": "builds the forecast bottom-up and reviews the variances every month",
    "People": "plans headcount with every department and runs the calibration rounds",
    "Operations": "runs the plant on daily stand-ups and a board of open issues",
    "Research": "plans experiments in quarterly reviews and peer-reviews every protocol",
}
DEFAULT_HABIT = "works through its own weekly rhythm of planning and review"

STRENGTHS = (
    "asks good questions",
    "is trusted by their team",
    "prepares thoroughly",
    "stays calm under pressure",
    "explains complex things simply",
    "follows through on what they commit to",
)
MENTOR_HOPES = (
    "get better at coaching rather than telling",
    "understand how {mentee_dept} works",
    "pass on what they learned the hard way",
)

# Session topics and shared notes by stage position (1..4). Group sessions put one mentee in the "hot seat".
TOPICS = {
    1: (
        "Introductions, expectations and goals",
        "Getting to know each other; how {mentor_dept} and {mentee_dept} work",
        "Ground rules, meeting rhythm and a first goal on {skill}",
    ),
    2: (
        "Where {skill} shows up in {mentee}'s week",
        "Strengths and growth areas in {skill}",
        "Baseline self-assessment and feedback from {mentee}'s team",
    ),
    3: (
        "Plan: {practice}",
        "Practising {skill}: {practice}",
        "What got in the way, and a smaller next step on {skill}",
    ),
    4: (
        "Looking back at the goals: what changed",
        "Progress on {skill} and what comes after the program",
        "Wrap-up: lessons learned and next steps",
    ),
}
NOTES = {
    1: (
        "First session. {mentor} explained how {mentor_dept} {mentor_habit}; {mentee} described how {mentee_dept} "
        "{mentee_habit}. We agreed to meet {cadence} and to focus on {focus}.",
        "Getting to know each other: career paths, what a good month looks like for each of us and why {mentee} "
        "signed up. Main focus: {focus}. {mentee} will bring a real example next time.",
        "Ground rules: what we discuss stays here and {mentee} owns the agenda. First goal drafted: {goal}.",
    ),
    2: (
        "Looked at where {skill} shows up in {mentee}'s week. Strength: {mentee} {strength}. Growth area: "
        "{mentee} {growth}.",
        "{mentee} shared the baseline self-assessment; {mentor} would rate {skill} a little lower and gave two "
        "examples. Agreed growth area: {mentee} {growth}.",
        "Went through recent feedback from {mentee}'s team. Pattern: {mentee} {growth}. {mentor} shared how "
        "people in {mentor_dept} handle the same thing.",
    ),
    3: (
        "Turned the goal into a plan: {practice}. {mentor} will review the first attempt and share an example "
        "from {mentor_dept}.",
        "Rehearsed it together ({practice}). Better the second time; next step is to try it for real before we "
        "meet again.",
        "Talked about what got in the way since last time (deadlines, mostly). Smaller step agreed: {practice}.",
    ),
    4: (
        "Looked back at the goals: {mentee} {achievement}. Plan after the program: keep going ({practice}).",
        "Review session. What changed: {mentee} {achievement}. {mentor} suggested {mentee} mentors someone next round.",
        "Celebrated the progress and wrote down three lessons. {mentee} {achievement}; next: {practice}.",
    ),
}
GROUP_OPENER = "Hot seat today: {mentee}. "
# Answers to the default stages' two reflection prompts (programs.models.core.DEFAULT_STAGES), by stage position.
REFLECTIONS = {
    1: ("{mentee}: {goal}. {mentor}: {mentor_hope}.", "{goal}."),
    2: ("{mentee} {strength}.", "{skill}: {mentee} {growth}."),
    3: ("First: {practice}, before the next session.", "{mentor} reviews the first attempt and shares an example."),
    4: ("{mentee} {achievement}.", "Keep going: {practice}."),
}
CADENCES = {1: "once a month", 2: "every other week"}

PRIVATE_NOTES_MENTOR = (
    "{mentee} is more capable than they think; say so next time, with the example.",
    "Ask about the friction with their team lead, gently.",
    "Bring the example of how {mentor_dept} handled this last year.",
    "I gave too many answers today. More questions next time.",
    "Check whether the goal is still the right one; the motivation dipped.",
)
PRIVATE_NOTES_MENTEE = (
    "Nervous before this one; it went better than expected.",
    "Ask {mentor} how they handled their first big mistake.",
    "I keep postponing the practice. Block Friday morning for it.",
    "Send the draft by Wednesday, not the night before.",
    "Next time: career paths, not only the project.",
)

FEEDBACK_MENTEE = {
    5: (
        "Really useful: I left with a concrete plan.",
        "{mentor} asked exactly the right questions.",
        "Best session so far.",
        "I finally understand how {mentor_dept} thinks about this.",
    ),
    4: ("Good session; we ran a bit over time.", "Helpful. More time on {skill} next time, please.", ""),
    3: ("OK, but we drifted off topic.", "Too short to get into it properly.", "Felt rushed; we were both tired."),
    2: ("We had to cut it short and never got to my questions.", "We need a clearer agenda; little came of this one."),
}
FEEDBACK_MENTOR = {
    5: ("{mentee} came very well prepared.", "Great energy; the homework was done.", ""),
    4: ("Good conversation; the next step is clear.", ""),
    3: ("{mentee} seemed distracted; the workload is high right now.", "We need to be more concrete."),
    2: ("Hard to get going today; we will try a different format.",),
}

GOAL_UPDATES = (
    "Started: {practice}.",
    "Halfway there. Took longer than planned: {practice}.",
    "Done: {practice}. Next: ask for feedback on it.",
    "Stuck for a few weeks (deadlines); back on track now.",
)
GOAL_ACHIEVED = "Achieved: {mentee} {achievement}."
GOAL_DROPPED = "Dropped: the project this goal was about was stopped."

MENTOR_ACTIONS = (
    "Share an example from {mentor_dept}",
    "Introduce {mentee} to someone in {mentor_dept} who does this well",
    "Send {mentee} the article we talked about",
    "Review {mentee}'s draft before the next session",
)
MENTEE_ACTIONS = ("Book the next session", "Send {mentor} the draft two days before we meet")

BASELINE_EVIDENCE = "Starting point: {mentee} {growth}."
MIDPOINT_EVIDENCE = "Halfway: working on it ({practice})."
