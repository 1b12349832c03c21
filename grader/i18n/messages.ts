/**
 * The one catalogue of what the grader says to a student, in English and Russian (the course is
 * taught in Russian). Every report — terminal summary, report.html, Gradescope, PrairieLearn —
 * takes its words from here by id; `{name}` is filled from the values given. A message missing in
 * one language does not compile; the test checks both have the same placeholders.
 */
export const LANGS = ['en', 'ru'] as const;
export type Lang = (typeof LANGS)[number];

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

export const MESSAGES = {
  'verdict.passed': { en: 'PASSED', ru: 'ЗАЧТЕНО' },
  'verdict.failed': { en: 'NOT PASSED', ru: 'НЕ ЗАЧТЕНО' },
  'verdict.notGraded': { en: 'NOT GRADED', ru: 'НЕ ОЦЕНЕНО' },
  'summary.score': { en: 'score {score} / {max} (pass mark {pass})', ru: 'баллы {score} из {max} (проходной балл {pass})' },
  'summary.notGraded': { en: 'not graded: {reason}; grade again', ru: 'не оценено: {reason}; оцените ещё раз' },
  'summary.fix': { en: 'fix', ru: 'исправить' },
  'status.pass': { en: 'pass', ru: 'зачтено' },
  'status.lost': { en: 'lost', ru: 'потеряно' },
  'status.notMeasured': { en: 'not measured', ru: 'не измерено' },
  'report.title': { en: 'avsock grade: {score}', ru: 'оценка avsock: {score}' },
  'report.notGradedTitle': { en: 'not graded', ru: 'не оценено' },
  'report.passedBanner': { en: 'Passed: {score} of {max} points (pass mark {pass}).', ru: 'Зачтено: {score} из {max} баллов (проходной балл {pass}).' },
  'report.failedBanner': {
    en: 'Below the pass mark: {score} of {max} points (pass mark {pass}).',
    ru: 'Ниже проходного балла: {score} из {max} баллов (проходной балл {pass}).',
  },
  'report.notGradedBanner': {
    en: "Not graded: {reason}; grade again. The figures below are not the submission's score.",
    ru: 'Не оценено: {reason}; оцените ещё раз. Цифры ниже — не оценка работы.',
  },
  'report.rubric': { en: 'Rubric', ru: 'Критерии' },
  'report.item': { en: 'Item', ru: 'Критерий' },
  'report.points': { en: 'Points', ru: 'Баллы' },
  'report.details': { en: 'What was measured, why a point was lost, how to fix it', ru: 'Что измерено, почему потерян балл, как исправить' },
  'report.fix': { en: 'Fix:', ru: 'Как исправить:' },
  'report.measured': { en: 'Measured:', ru: 'Измерено:' },
  'report.screenshot': { en: 'Screenshot', ru: 'Снимок экрана' },
  'report.noScreenshot': { en: 'No screenshot: {reason}.', ru: 'Снимка нет: {reason}.' },
  'report.recorded': { en: 'What the probe recorded', ru: 'Что записал измерительный клиент' },
  'report.nothingToDraw': { en: 'No frame arrived, so there is nothing to draw.', ru: 'Ни один кадр не пришёл — рисовать нечего.' },
  'report.notDrawn': { en: 'Not drawn: {reason}.', ru: 'Не нарисовано: {reason}.' },
  'report.machine': { en: 'The machine', ru: 'Машина' },
  'report.machineLine': {
    en: "Load {start} → {end} on {cores} cores, CPUs {busy} busy during the server's window.",
    ru: 'Загрузка {start} → {end} на {cores} ядрах, процессоры заняты на {busy} во время окна сервера.',
  },
  'report.disturbed': {
    en: "Disturbed run: {reason}. Timing figures (fps, jitter, drift, freezes) may be the machine's rather than the submission's: grade again on a quiet machine before trusting a lost timing point.",
    ru: 'Прогон на перегруженной машине: {reason}. Временные показатели (fps, джиттер, дрейф, замирания) могут отражать машину, а не работу: оцените ещё раз на свободной машине, прежде чем верить потерянному баллу за время.',
  },
  'report.quiet': { en: "Quiet enough: the timing figures are the submission's.", ru: 'Машина была свободна: временные показатели относятся к работе.' },
  'report.noMachine': {
    en: "The server was not measured, so the machine's load was not recorded.",
    ru: 'Сервер не измерялся, поэтому загрузка машины не записана.',
  },
  'report.serverLines': { en: "The server's last lines", ru: 'Последние строки сервера' },
  'report.changes': { en: 'Changes the grader made to its copy', ru: 'Что проверяющий изменил в своей копии' },
  'report.problems': { en: 'Problems', ru: 'Проблемы' },
  'report.phases': {
    en: "Phases: {phases}. The plots' data is in series.json beside this file.",
    ru: 'Этапы: {phases}. Данные графиков — в series.json рядом с этим файлом.',
  },
  'report.stream': { en: 'Stream over the whole window: {state}.', ru: 'Поток за всё окно: {state}.' },
  'report.streamOk': { en: 'video and audio throughout', ru: 'видео и звук всё время' },
  'plot.intervals.title': { en: 'Frame arrivals: the interval before each frame', ru: 'Приход кадров: интервал перед каждым кадром' },
  'plot.intervals.caption': {
    en: "Dashed: the clip's interval ({nominal} ms). Orange: a freeze (W3C: a gap ≥ max(3 × mean, mean + 150 ms)); red: a stall (> 2 s).",
    ru: 'Пунктир: интервал клипа ({nominal} мс). Оранжевые: замирание (W3C: пауза ≥ max(3 × среднее, среднее + 150 мс)); красные: остановка (> 2 с).',
  },
  'plot.fps.title': { en: 'Frames per second, second by second', ru: 'Кадров в секунду, по секундам' },
  'plot.fps.caption': {
    en: "Dashed: the clip's rate ({fps} fps). A bar below it lost or delayed frames in that second; above it, sent too fast.",
    ru: 'Пунктир: частота клипа ({fps} к/с). Столбец ниже — в эту секунду кадры потеряны или задержаны; выше — отправлено слишком быстро.',
  },
  'plot.av.title': { en: 'Picture against sound at each flash/beep marker', ru: 'Картинка относительно звука на каждой метке вспышка/сигнал' },
  'plot.av.caption': {
    en: 'Green band: ITU-R BT.1359 — offsets inside it (sound up to 45 ms early, 125 ms late) go unnoticed. + = picture late.',
    ru: 'Зелёная полоса: ITU-R BT.1359 — сдвиг внутри неё (звук раньше до 45 мс, позже до 125 мс) незаметен. + = картинка опаздывает.',
  },
  'plot.audio.title': { en: 'Sound queued in a real-time player (its buffer level)', ru: 'Звук в очереди проигрывателя реального времени (уровень буфера)' },
  'plot.audio.caption': {
    en: 'Red lines: the player ran dry (an underrun). Grey bands: the buffer was full and the server was held back by TCP (a server that paces itself is rarely held back).',
    ru: 'Красные линии: проигрывателю нечего играть (опустошение). Серые полосы: буфер полон и TCP придерживал сервер (сервер, который сам соблюдает темп, почти не придерживается).',
  },
  'plot.jitter.title': { en: 'Jitter distribution', ru: 'Распределение джиттера' },
  'plot.jitter.caption': {
    en: "How far each frame arrived from where the sender's spacing put it (|D|, RFC 3550). A steady sender keeps nearly all of them in the first bars.",
    ru: 'Насколько каждый кадр отклонился от шага отправителя (|D|, RFC 3550). У ровного отправителя почти все кадры в первых столбцах.',
  },
  'axis.seconds': { en: 'seconds into the window', ru: 'секунды от начала окна' },
  'axis.second': { en: 'second of the window', ru: 'секунда окна' },
  'axis.intervalMs': { en: 'interval (ms)', ru: 'интервал (мс)' },
  'axis.frames': { en: 'frames', ru: 'кадры' },
  'axis.offsetMs': { en: 'offset (ms)', ru: 'сдвиг (мс)' },
  'axis.queuedMs': { en: 'queued (ms)', ru: 'в очереди (мс)' },
  'empty.frames': { en: 'fewer than two frames arrived', ru: 'пришло меньше двух кадров' },
  'empty.second': { en: 'the window was shorter than a second', ru: 'окно короче секунды' },
  'empty.av': { en: 'no flash/beep pair was measured', ru: 'ни одна пара вспышка/сигнал не измерена' },
  'empty.audio': { en: 'no sound arrived in the window', ru: 'за окно не пришло звука' },
  'lms.notGraded': {
    en: "Not graded: {reason}. This is the grader's or its machine's failure, not yours: the submission will be graded again.",
    ru: 'Не оценено: {reason}. Это сбой проверяющей программы или её машины, а не ваш: работу оценят ещё раз.',
  },
  'lms.score': { en: '{score} / {max} — {verdict}.', ru: '{score} из {max} — {verdict}.' },
  'lms.passed': { en: 'passed', ru: 'зачтено' },
  'lms.below': { en: 'below the pass mark ({pass})', ru: 'ниже проходного балла ({pass})' },
  'lms.howToFix': { en: 'How to fix:', ru: 'Как исправить:' },
  'lms.notCounted': { en: 'Not counted in the maximum.', ru: 'Не входит в максимум.' },
  'lms.lost': {
    en: 'Lost points: {items}. Each test below says why and how to fix it.',
    ru: 'Потеряны баллы: {items}. В каждом тесте ниже сказано почему и как исправить.',
  },
  'lms.busy': {
    en: "The grading machine was busy ({reason}): timing figures may be the machine's.",
    ru: 'Проверяющая машина была занята ({reason}): временные показатели могут отражать её, а не работу.',
  },
  'lms.screenshotLabel': { en: 'Screenshot of both windows (taken by the grader)', ru: 'Снимок обоих окон (сделан проверяющим)' },
} as const satisfies Record<string, Record<Lang, string>>;

export type MessageId = keyof typeof MESSAGES;

/** The message `id` in `lang`, with each `{name}` replaced by vars[name]. */
export function t(lang: Lang, id: MessageId, vars: Record<string, string | number> = {}): string {
  return MESSAGES[id][lang].replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** A translator bound to one language. */
export function translator(lang: Lang = 'en'): (id: MessageId, vars?: Record<string, string | number>) => string {
  return (id, vars) => t(lang, id, vars);
}
