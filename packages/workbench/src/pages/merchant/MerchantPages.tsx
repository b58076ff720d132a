import { Route, Routes } from 'react-router';
import { Catalogue } from './Catalogue';
import { InstallList } from './InstallList';
import { InstallPage } from './InstallPage';
import { MerchantLogs } from './MerchantLogs';

/** The merchant operator's pages (one lazily loaded chunk, with the settings forms). */
export default function MerchantPages() {
  return (
    <Routes>
      <Route index element={<Catalogue />} />
      <Route path="installs" element={<InstallList />} />
      <Route path="installs/:id" element={<InstallPage />} />
      <Route path="logs" element={<MerchantLogs />} />
    </Routes>
  );
}
