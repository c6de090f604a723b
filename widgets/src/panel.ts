import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { answerSummary, hasConnect, historyCode, loadCode } from './code';
import { requestAPI } from './request';

interface IScorecard {
  id: string;
  name: string;
  key: string;
}

interface IDatasetRow {
  id: string;
  name: string;
  currentVersion: number | null;
  versions: number;
  lastProfile: string | null;
  records: number | null;
}

interface IVersion {
  id: string;
  number: number;
  created: string;
  current: boolean;
  note: string | null;
}

interface IDatasetDetail {
  dataset: { id: string; name: string; description: string | null };
  versions: IVersion[];
}

interface IProfileSummary {
  created: string;
  rows: number | null;
  columns: number;
  answers: { [column: string]: { counts: { [v: string]: number }; null: number } };
}

/** Make an element with a class and (escaped) text. */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : '');

/**
 * The Datasets sidebar: scorecard picker, filtered dataset list, the chosen
 * dataset's versions and newest profile, and actions on the active notebook.
 * All user text goes in through textContent, so it is never parsed as HTML.
 */
export class DatasetsPanel extends Widget {
  constructor(
    private readonly serverSettings: ServerConnection.ISettings,
    private readonly notebooks: INotebookTracker | null
  ) {
    super();
    this.id = 'plexus-datasets-panel';
    this.addClass('pds-Panel');
    this.title.caption = 'Datasets';

    const header = el('div', 'pds-Panel-header');
    header.appendChild(el('span', 'pds-Panel-title', 'Datasets'));
    this.refreshButton = el('button', 'pds-Button pds-Panel-refresh', 'Refresh');
    this.refreshButton.title = 'Reload scorecards and datasets';
    this.refreshButton.onclick = () => void this.refresh();
    header.appendChild(this.refreshButton);

    this.scorecardSelect = el('select', 'pds-Select pds-Panel-scorecard');
    this.scorecardSelect.setAttribute('aria-label', 'Scorecard');
    this.scorecardSelect.onchange = () => void this.loadDatasets();
    this.filterInput = el('input', 'pds-Input pds-Panel-filter');
    this.filterInput.placeholder = 'Filter datasets';
    this.filterInput.oninput = () => this.renderDatasets();
    this.status = el('div', 'pds-Panel-status');
    this.datasetList = el('ul', 'pds-List pds-Panel-datasets');
    this.detail = el('div', 'pds-Panel-detail');

    for (const node of [
      header,
      this.scorecardSelect,
      this.filterInput,
      this.status,
      this.datasetList,
      this.detail
    ]) {
      this.node.appendChild(node);
    }
  }

  /** Reload everything from the server. */
  async refresh(): Promise<void> {
    this.showStatus('Loading scorecards…', 'loading');
    try {
      const cards = await requestAPI<IScorecard[]>('scorecards', this.serverSettings);
      const keep = this.scorecardSelect.value;
      this.scorecardSelect.replaceChildren(
        ...cards.map(card => {
          const option = el('option', '', card.name);
          option.value = card.id;
          return option;
        })
      );
      if (!cards.length) {
        this.datasets = [];
        this.renderDatasets();
        this.showStatus('No scorecards yet. Create one, or run `plexus-datasets demo`.', 'empty');
        return;
      }
      if (cards.some(card => card.id === keep)) {
        this.scorecardSelect.value = keep;
      }
      await this.loadDatasets();
    } catch (error) {
      this.showStatus(String((error as Error).message ?? error), 'error');
    }
  }

  private async loadDatasets(): Promise<void> {
    const scorecard = this.scorecardSelect.value;
    const ticket = ++this.datasetsTicket;
    this.showStatus('Loading datasets…', 'loading');
    try {
      const rows = await requestAPI<IDatasetRow[]>(
        `datasets?scorecard=${encodeURIComponent(scorecard)}`,
        this.serverSettings
      );
      if (ticket !== this.datasetsTicket) {
        return; // a newer request (another scorecard) has been made
      }
      this.datasets = rows;
      this.renderDatasets();
    } catch (error) {
      if (ticket !== this.datasetsTicket) {
        return;
      }
      this.datasets = [];
      this.renderDatasets();
      this.showStatus(String((error as Error).message ?? error), 'error');
    }
  }

  private renderDatasets(): void {
    const needle = this.filterInput.value.toLowerCase();
    const shown = this.datasets.filter(d => d.name.toLowerCase().includes(needle));
    this.datasetList.replaceChildren(
      ...shown.map(row => {
        const item = el('li', 'pds-List-item pds-Dataset');
        item.dataset.id = row.id;
        item.appendChild(el('span', 'pds-Dataset-name', row.name));
        const facts = [
          row.currentVersion ? `v${row.currentVersion}` : 'no version',
          `${row.versions} version${row.versions === 1 ? '' : 's'}`,
          row.records !== null ? `${row.records.toLocaleString()} rows` : ''
        ].filter(Boolean);
        item.appendChild(el('span', 'pds-Dataset-facts', facts.join(' · ')));
        if (row.id === this.selectedId) {
          item.classList.add('pds-mod-selected');
        }
        item.onclick = () => void this.selectDataset(row.id);
        return item;
      })
    );
    if (!this.datasets.length) {
      this.showStatus('This scorecard has no datasets yet.', 'empty');
    } else if (!shown.length) {
      this.showStatus('No dataset matches the filter.', 'empty');
    } else {
      this.showStatus('', 'ok');
    }
  }

  async selectDataset(id: string): Promise<void> {
    this.selectedId = id;
    const ticket = ++this.detailTicket;
    this.renderDatasets();
    this.detail.replaceChildren(el('div', 'pds-Panel-loading', 'Loading versions…'));
    try {
      const detail = await requestAPI<IDatasetDetail>(
        `datasets/${encodeURIComponent(id)}`,
        this.serverSettings
      );
      if (ticket !== this.detailTicket) {
        return; // the user picked another dataset meanwhile: its answer wins
      }
      this.current = detail;
      const chosen =
        this.current.versions.find(v => v.current) ??
        this.current.versions[this.current.versions.length - 1];
      this.renderDetail(chosen ?? null);
    } catch (error) {
      if (ticket === this.detailTicket) {
        this.detail.replaceChildren(
          el('div', 'pds-Panel-error', String((error as Error).message ?? error))
        );
      }
    }
  }

  private renderDetail(version: IVersion | null): void {
    if (!this.current) {
      return;
    }
    this.selectedVersion = version;
    const { dataset, versions } = this.current;
    const box = el('div', 'pds-Detail');
    box.appendChild(el('div', 'pds-Detail-name', dataset.name));
    if (dataset.description) {
      box.appendChild(el('div', 'pds-Detail-description', dataset.description));
    }
    const list = el('ul', 'pds-List pds-Versions');
    for (const v of [...versions].reverse()) {
      const item = el('li', 'pds-List-item pds-Version');
      item.dataset.number = String(v.number);
      item.appendChild(el('span', 'pds-Version-label', `v${v.number}`));
      item.appendChild(el('span', 'pds-Version-date', day(v.created)));
      if (v.current) {
        item.appendChild(el('span', 'pds-Version-current', '● current'));
      }
      if (v.note) {
        item.appendChild(el('span', 'pds-Version-note', v.note));
      }
      if (version && v.id === version.id) {
        item.classList.add('pds-mod-selected');
      }
      item.onclick = () => this.renderDetail(v);
      list.appendChild(item);
    }
    if (!versions.length) {
      box.appendChild(el('div', 'pds-Panel-empty', 'No versions yet.'));
    }
    box.appendChild(list);
    const profile = el('div', 'pds-Profile', version ? 'Loading profile…' : '');
    box.appendChild(profile);

    const actions = el('div', 'pds-Actions');
    const insert = el('button', 'pds-Button pds-Action-insert', 'Insert load code');
    insert.disabled = !version;
    insert.onclick = () => this.insertLoadCode();
    const history = el('button', 'pds-Button pds-Action-history', 'Open profile history');
    history.onclick = () => void this.openHistory();
    actions.append(insert, history);
    box.appendChild(actions);
    this.actionStatus = el('div', 'pds-Panel-actionStatus');
    box.appendChild(this.actionStatus);
    this.detail.replaceChildren(box);
    if (version) {
      void this.loadProfile(version, profile);
    }
  }

  private async loadProfile(version: IVersion, target: HTMLElement): Promise<void> {
    try {
      const summary = await requestAPI<IProfileSummary | null>(
        `versions/${encodeURIComponent(version.id)}/profile`,
        this.serverSettings
      );
      if (!target.isConnected) {
        return; // another version or dataset was chosen meanwhile
      }
      if (!summary) {
        target.replaceChildren(el('div', 'pds-Panel-empty', `v${version.number} has no profile yet.`));
        return;
      }
      const parts = [
        el(
          'div',
          'pds-Profile-rows',
          `v${version.number}: ${(summary.rows ?? 0).toLocaleString()} rows, ${summary.columns} columns (${day(summary.created)})`
        )
      ];
      for (const [column, dist] of Object.entries(summary.answers)) {
        const line = el('div', 'pds-Profile-answers');
        line.appendChild(el('b', '', `${column}: `));
        line.appendChild(
          document.createTextNode(
            answerSummary(dist.counts) + (dist.null ? ` · null ${dist.null}` : '')
          )
        );
        parts.push(line);
      }
      target.replaceChildren(...parts);
    } catch (error) {
      target.replaceChildren(el('div', 'pds-Panel-error', String((error as Error).message ?? error)));
    }
  }

  private activeNotebook() {
    const panel = this.notebooks?.currentWidget ?? null;
    if (!panel) {
      this.actionStatus.textContent = 'Open a notebook first.';
      this.actionStatus.className = 'pds-Panel-actionStatus pds-mod-error';
      return null;
    }
    return panel;
  }

  private notebookSources(panel: any): string[] {
    const cells = panel.content.model?.cells;
    const sources: string[] = [];
    if (cells) {
      for (let i = 0; i < cells.length; i++) {
        sources.push(cells.get(i).sharedModel.getSource());
      }
    }
    return sources;
  }

  /** Put `df = svc.load("NAME:vN")` at the cursor of the active cell (or in a new cell). */
  insertLoadCode(): void {
    const panel = this.activeNotebook();
    if (!panel || !this.current || !this.selectedVersion) {
      return;
    }
    const code = loadCode(
      this.current.dataset.name,
      this.selectedVersion.number,
      hasConnect(this.notebookSources(panel))
    );
    const notebook = panel.content;
    const cell = notebook.activeCell;
    if (cell && cell.model.type === 'code' && cell.editor) {
      const editor = cell.editor;
      const text = cell.model.sharedModel.getSource();
      const offset = editor.getOffsetAt(editor.getCursorPosition());
      const before = text.slice(0, offset);
      const glue = before && !before.endsWith('\n') ? '\n' : '';
      cell.model.sharedModel.updateSource(offset, offset, glue + code);
    } else {
      NotebookActions.insertBelow(notebook);
      notebook.activeCell?.model.sharedModel.setSource(code);
    }
    this.actionStatus.textContent = 'Inserted load code.';
    this.actionStatus.className = 'pds-Panel-actionStatus';
  }

  /** Insert and run a cell with ProfileHistory(...) for the chosen dataset (by id). */
  async openHistory(): Promise<void> {
    const panel = this.activeNotebook();
    if (!panel || !this.current) {
      return;
    }
    const code = historyCode(this.current.dataset.id, null, hasConnect(this.notebookSources(panel)));
    const notebook = panel.content;
    NotebookActions.insertBelow(notebook);
    notebook.activeCell?.model.sharedModel.setSource(code);
    await NotebookActions.run(notebook, panel.sessionContext);
    this.actionStatus.textContent = 'Opened the profile history.';
    this.actionStatus.className = 'pds-Panel-actionStatus';
  }

  private showStatus(message: string, kind: 'loading' | 'empty' | 'error' | 'ok'): void {
    this.status.textContent = message;
    this.status.className = `pds-Panel-status pds-mod-${kind}`;
  }

  private readonly refreshButton: HTMLButtonElement;
  private readonly scorecardSelect: HTMLSelectElement;
  private readonly filterInput: HTMLInputElement;
  private readonly status: HTMLDivElement;
  private readonly datasetList: HTMLUListElement;
  private readonly detail: HTMLDivElement;
  private actionStatus: HTMLDivElement = el('div', 'pds-Panel-actionStatus');
  private datasets: IDatasetRow[] = [];
  private datasetsTicket = 0;
  private detailTicket = 0;
  private selectedId: string | null = null;
  private selectedVersion: IVersion | null = null;
  private current: IDatasetDetail | null = null;
}
