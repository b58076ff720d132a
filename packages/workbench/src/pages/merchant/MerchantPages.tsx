import { Route, Routes } from 'react-router';
import { Catalogue } from './Catalogue';
import { InstallList } from './InstallList';
import { InstallPage } from './InstallPage';
import { MemberLookup } from './MemberLookup';
import { MemberPage } from './MemberPage';
import { MerchantLogs } from './MerchantLogs';
import { OrderPage } from './OrderPage';

/** The merchant operator's pages (one lazily loaded chunk, with the settings forms). */
export default function MerchantPages() {
  return (
    <Routes>
      <Route index element={<Catalogue />} />
      <Route path="installs" element={<InstallList />} />
      <Route path="installs/:id" element={<InstallPage />} />
      <Route path="logs" element={<MerchantLogs />} />
      <Route path="members" element={<MemberLookup />} />
      <Route path="members/:id" element={<MemberPage />} />
      <Route path="orders/:id" element={<OrderPage />} />
    </Routes>
  );
}
