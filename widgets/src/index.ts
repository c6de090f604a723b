import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { tableRowsIcon } from '@jupyterlab/ui-components';

import { DatasetsPanel } from './panel';

/**
 * The Datasets sidebar of plexus-datasets.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'plexus-datasets-lab:plugin',
  description: 'A Datasets sidebar backed by plexus-datasets.',
  autoStart: true,
  requires: [ILabShell],
  optional: [INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    shell: ILabShell,
    notebooks: INotebookTracker | null
  ) => {
    const panel = new DatasetsPanel(app.serviceManager.serverSettings, notebooks);
    panel.title.icon = tableRowsIcon;
    shell.add(panel, 'left', { rank: 600 });
    app.commands.addCommand('plexus-datasets:refresh', {
      label: 'Refresh Datasets',
      execute: () => panel.refresh()
    });
    void panel.refresh();
  }
};

export default plugin;
