//! Which lessons a learner has finished, as the browser keeps it (local storage): the ids,
//! separated by spaces. Unknown ids (a lesson renamed or removed) are dropped on reading.

use super::LESSONS;

/// The finished lessons in `stored` (the page's local storage text, possibly stale or edited).
pub fn read(stored: &str) -> Vec<&'static str> {
    let mut done: Vec<&'static str> = Vec::new();
    for word in stored.split_whitespace() {
        if let Some((id, _)) = LESSONS.iter().find(|(id, _)| *id == word) {
            if !done.contains(id) {
                done.push(id);
            }
        }
    }
    done
}

/// `stored` with `id` marked finished.
pub fn mark(stored: &str, id: &str) -> String {
    let mut done = read(stored);
    if let Some((id, _)) = LESSONS.iter().find(|(i, _)| *i == id) {
        if !done.contains(id) {
            done.push(id);
        }
    }
    done.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_keeps_known_lessons_once() {
        let first = LESSONS[0].0;
        let s = mark("", first);
        assert_eq!(read(&s), vec![first]);
        assert_eq!(mark(&s, first), s, "marking twice changes nothing");
        assert_eq!(read(&format!("bogus {first} {first} <script>")), vec![first]);
        assert_eq!(mark("x", "not-a-lesson"), "");
    }
}
