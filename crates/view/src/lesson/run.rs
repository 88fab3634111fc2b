//! A lesson on the page: which lesson and variation is open, the learner's prediction, and the
//! run's answer once the run has reached the instant the lesson is measured to. The page asks
//! first (the run waits at its start), then plays to `until`, then settles.

use super::{Lesson, Outcome, Setup, LESSONS};
use crate::i18n::tf;
use crate::session::Session;
use brokerlab_engine::compare::{Comparison, Workload};
use brokerlab_engine::{Scenario, Time};
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq)]
pub struct LessonRun {
    pub lesson: Rc<Lesson>,
    /// The "try this" variation running, if any.
    pub variation: Option<usize>,
    /// What it runs: the lesson's, with the variation applied.
    pub setup: Setup,
    /// The choice the learner predicted.
    pub choice: Option<usize>,
    /// The run's answer (or why it could not be measured).
    pub outcome: Option<Result<Outcome, String>>,
}

impl LessonRun {
    /// Opens lesson `id` with variation `variation` (counted from 0).
    pub fn open(id: &str, variation: Option<usize>) -> Result<LessonRun, String> {
        let lesson = super::by_id(id).ok_or_else(|| tf("there is no lesson \"{0}\"", &[&id]))?;
        LessonRun::of(Rc::new(lesson), variation)
    }

    /// The same lesson with another variation (`None`: as written), asking again.
    pub fn with_variation(&self, variation: Option<usize>) -> Result<LessonRun, String> {
        LessonRun::of(self.lesson.clone(), variation)
    }

    fn of(lesson: Rc<Lesson>, variation: Option<usize>) -> Result<LessonRun, String> {
        let setup = lesson.setup(variation)?;
        Ok(LessonRun { lesson, variation, setup, choice: None, outcome: None })
    }

    /// The scenario it runs on the stage (`None`: a comparison lesson).
    pub fn scenario(&self) -> Option<&Scenario> {
        match &self.setup {
            Setup::Stage(s) => Some(s.as_ref()),
            Setup::Compare(_) => None,
        }
    }

    /// The workload it runs on the comparison page (`None`: a stage lesson).
    pub fn workload(&self) -> Option<&Workload> {
        match &self.setup {
            Setup::Compare(w) => Some(w),
            Setup::Stage(_) => None,
        }
    }

    /// `scenario` is this lesson's: any other (an edit, another preset, an opened file) is the
    /// learner's own experiment, and the page leaves the lesson for it.
    pub fn runs(&self, scenario: &Scenario) -> bool {
        self.scenario() == Some(scenario)
    }

    /// The same for the comparison page's workload.
    pub fn runs_workload(&self, workload: &Workload) -> bool {
        self.workload() == Some(workload)
    }

    pub fn predict(&mut self, choice: usize) {
        if choice < self.lesson.choices.len() && self.outcome.is_none() {
            self.choice = Some(choice);
        }
    }

    /// The speed that plays the run in about 20 seconds.
    pub fn speed(&self) -> usize {
        crate::speed::in_seconds(self.lesson.until, 20.0)
    }

    /// Where playing should pause: the lesson's end, until the run is settled.
    pub fn stop_at(&self) -> Option<Time> {
        self.outcome.is_none().then_some(self.lesson.until)
    }

    /// The run should play: a prediction is made and the answer is not in yet.
    pub fn may_play(&self) -> bool {
        self.choice.is_some() && self.outcome.is_none()
    }

    /// Settles the run once it has reached the lesson's end: measures the session's run (its
    /// scenario, seed and the actions taken so far). Returns true when it settled now.
    pub fn settle_if_due(&mut self, session: &Session) -> bool {
        if self.choice.is_none() || self.outcome.is_some() || session.sim().now() < self.lesson.until {
            return false;
        }
        self.outcome = Some(self.lesson.settle(session.scenario(), session.seed(), session.timeline().log()));
        true
    }

    /// Settles a comparison lesson once both lanes are over. True when it settled now.
    pub fn settle_comparison_if_due(&mut self, c: &Comparison) -> bool {
        if self.choice.is_none() || self.outcome.is_some() || !c.done() {
            return false;
        }
        self.outcome = Some(Ok(self.lesson.settle_comparison(c)));
        true
    }

    /// The prediction was right.
    pub fn right(&self) -> Option<bool> {
        match (&self.outcome, self.choice) {
            (Some(Ok(o)), Some(c)) => Some(o.answer == Some(c)),
            _ => None,
        }
    }

    /// `(1-based position, how many)` on the path.
    pub fn position(&self) -> (usize, usize) {
        let i = LESSONS.iter().position(|(id, _)| *id == self.lesson.id).unwrap_or(0);
        (i + 1, LESSONS.len())
    }

    /// The next lesson on the path.
    pub fn next_id(&self) -> Option<&'static str> {
        let (i, _) = self.position();
        LESSONS.get(i).map(|(id, _)| *id)
    }

    /// The query string that reopens it: `lesson=ID` and, for a variation, `try=N` (from 1).
    pub fn query(&self) -> String {
        match self.variation {
            Some(v) => format!("?lesson={}&try={}", self.lesson.id, v + 1),
            None => format!("?lesson={}", self.lesson.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_waits_for_a_prediction_then_settles_at_its_end() {
        let id = LESSONS[0].0;
        let mut run = LessonRun::open(id, None).unwrap();
        let scenario = run.scenario().unwrap().clone();
        let mut session = Session::new("relay-basic", scenario.clone(), scenario.seed).unwrap();
        assert!(!run.may_play() && !run.settle_if_due(&session), "no prediction yet");
        run.predict(99);
        assert_eq!(run.choice, None, "not a choice");
        run.predict(0);
        assert!(run.may_play());
        session.skip_to(run.lesson.until);
        assert!(run.settle_if_due(&session));
        let outcome = run.outcome.clone().unwrap().unwrap();
        let measured = run.lesson.settle(&scenario, scenario.seed, &[]).unwrap();
        assert_eq!(outcome, measured, "the page's run is the lesson's run");
        assert_eq!(run.right(), Some(outcome.answer == Some(0)));
        assert!(!run.settle_if_due(&session) && run.stop_at().is_none() && !run.may_play());
        assert_eq!(run.query(), format!("?lesson={id}"));
        assert!(run.runs(&scenario));
        let again = run.with_variation(Some(0)).unwrap();
        assert!(!again.runs(&scenario), "a variation runs another scenario");
        assert_eq!((again.choice, again.outcome.clone(), again.query()), (None, None, format!("?lesson={id}&try=1")));
        assert_eq!(run.next_id(), Some(LESSONS[1].0));
        assert!(LessonRun::open("nope", None).unwrap_err().contains("no lesson"));
        assert!(run.workload().is_none());
        assert!(LessonRun::open(id, Some(99)).unwrap_err().contains("no variation"));
    }

    #[test]
    fn a_comparison_lesson_settles_when_both_lanes_are_over() {
        let id = LESSONS.iter().find(|(_, text)| text.contains("\"compare\":")).expect("a comparison lesson").0;
        let mut run = LessonRun::open(id, None).unwrap();
        let w = run.workload().expect("runs a workload").clone();
        assert!(run.scenario().is_none() && run.runs_workload(&w));
        let mut c = Comparison::new(&w, 1).unwrap();
        run.predict(0);
        c.advance(Time::ms(100));
        assert!(!run.settle_comparison_if_due(&c), "not over yet");
        c.kafka.run();
        c.rabbit.run();
        assert!(run.settle_comparison_if_due(&c));
        assert_eq!(run.outcome, Some(run.lesson.run(&run.setup, 1)), "the page's comparison is the lesson's");
        assert!(!run.settle_comparison_if_due(&c), "settled once");
    }
}
