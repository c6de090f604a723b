import {
  answerSummary,
  hasConnect,
  historyCode,
  loadCode,
  pythonString,
  versionRef
} from '../code';

describe('code for notebooks', () => {
  it('quotes any name as a Python string', () => {
    expect(pythonString('calls "2025"')).toBe('"calls \\"2025\\""');
    expect(versionRef('calls', 3)).toBe('calls:v3');
  });

  it('adds the connect line only when the notebook lacks it', () => {
    expect(loadCode('calls', 2, true)).toBe('df = svc.load("calls:v2")\ndf.head()');
    expect(loadCode('calls', 2, false)).toBe(
      'import plexus_datasets as pds\nsvc = pds.connect()\ndf = svc.load("calls:v2")\ndf.head()'
    );
    expect(loadCode('<img src=x onerror=alert(1)>', 1, true)).toContain(
      'svc.load("<img src=x onerror=alert(1)>:v1")'
    );
  });

  it('recognises an existing connect', () => {
    expect(hasConnect(['import x', 'svc = pds.connect("team.db")'])).toBe(true);
    expect(hasConnect(['svc = plexus_datasets.connect()'])).toBe(true);
    expect(hasConnect(['# svc is made below', 'print(1)'])).toBe(false);
  });

  it('opens the history of a dataset or a version', () => {
    expect(historyCode('calls', null, true)).toBe(
      'from plexus_datasets.widgets import ProfileHistory\nProfileHistory("calls", svc)'
    );
    expect(historyCode('calls', 4, true)).toContain('ProfileHistory("calls:v4", svc)');
  });

  it('summarises answers largest first', () => {
    expect(answerSummary({ No: 30, Yes: 70 })).toBe('Yes 70% · No 30%');
    expect(answerSummary({})).toBe('');
  });
});
