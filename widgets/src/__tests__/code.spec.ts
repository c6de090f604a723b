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

  it('opens the history of a dataset or a version by the dataset id', () => {
    const id = '3f0c2a9e-5b1d-4c8e-9f7a-1d2e3c4b5a69';
    expect(historyCode(id, null, true)).toBe(
      `from plexus_datasets.widgets import ProfileHistory\nProfileHistory("${id}", svc)`
    );
    expect(historyCode(id, 4, true)).toContain(`ProfileHistory("${id}:v4", svc)`);
    expect(historyCode(id, null, false)).toContain('svc = pds.connect()');
  });

  it('summarises answers largest first', () => {
    expect(answerSummary({ No: 30, Yes: 70 })).toBe('Yes 70% · No 30%');
    expect(answerSummary({})).toBe('');
  });
});
